"""The chat area: messages, the message box, and the context meter."""
