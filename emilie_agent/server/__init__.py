"""The editing service over HTTP: the API (:mod:`.api`, FastAPI) for ``emilie-agent serve`` in one process, and
the Ray Serve application (:mod:`.ray_app`) that runs the same API over several replicas.

Nothing is imported here: FastAPI and Ray are optional extras (``[serve]``), loaded only by the modules that
need them.
"""
