"""Remote engines: OpenAI-compatible servers Hearth chats with (see app.remote.servers)."""
