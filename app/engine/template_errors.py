"""The errors a chat template can raise; each message is written for the user."""

from __future__ import annotations


class ChatTemplateError(ValueError):
    """The template cannot be used; the message says why, for the user."""


class TemplateRefused(ChatTemplateError):
    """The template tried to reach outside the sandbox and was refused."""


class TemplateTooCostly(ChatTemplateError):
    """The template ran too long, nested too deeply or built too much text, and was stopped."""
