"""Measuring multi-turn edit quality the way the field reports it, and comparing EMILIE with its baselines.

* :mod:`.datasets`: the benchmarks (:mod:`.datasets.toy`: the toy world, offline; :mod:`.datasets.magicbrush`);
* :mod:`.methods`: ``ip2p-recursive``, ``emilie-global``, ``emilie-guided``, ``emilie-exact``, ``agent``, two
  re-encoding variants and ``do-nothing`` (the reference), each a line of configuration;
* :mod:`.metrics`: L1, L2, CLIP-I, DINO, CLIP-T, and ours (L1 of what was meant to stay); :mod:`.success`: whether
  a toy edit did what was asked;
* :mod:`.runner`: every method on every sequence, scored and cached per sequence (runs resume);
* :mod:`.report`: results.json, results.md, the plot per turn, the contact sheet; :mod:`.suite`: all of it.

Nothing is imported here, so that ``emilie-agent eval --help`` stays light.
"""
