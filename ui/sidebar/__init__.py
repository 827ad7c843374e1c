"""The conversations sidebar: New chat, search, the chat list with rename, delete
(with Undo) and export.

The window builds one :class:`ConversationSidebar` with the
:class:`~app.store.conversations.ConversationStore` and listens to its signals.
"""

from ui.sidebar.export import ExportPathChooser, choose_export_path
from ui.sidebar.sidebar import ConversationSidebar

__all__ = ["ConversationSidebar", "ExportPathChooser", "choose_export_path"]
