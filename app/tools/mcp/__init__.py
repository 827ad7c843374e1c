"""MCP servers' tools, through the official ``mcp`` SDK.

``config`` reads and writes the servers in the familiar ``{"mcpServers": {...}}`` JSON
file; ``loop`` runs the SDK's async client on one background event-loop thread;
``connection`` keeps one server's session; ``manager`` is the synchronous API the rest
of Hearth uses (servers start on demand, every wait has a timeout); ``tool`` makes each
server tool a ``Tool`` the model can call, always with the user's approval.
"""
