"""The MCP server over the editing service (``emilie-agent mcp``); see :mod:`.server`.

Named ``mcp_server``, not ``mcp``, so that it never shadows the ``mcp`` SDK it is built on.
"""
