"""Rendering of chat messages: streamed Markdown, code blocks, safe links."""

from ui.render.code_block import CodeBlockView
from ui.render.links import confirm_and_open_link, link_allowed
from ui.render.message_body import MessageBody

__all__ = ["CodeBlockView", "MessageBody", "confirm_and_open_link", "link_allowed"]
