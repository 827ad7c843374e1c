"""Documents in a chat: which collections a chat has on, and the passages a question gets.

:meth:`ChatDocs.context_for` is what the chat service calls (``ChatOptions.documents``)
with the user's message a reply answers, on the reply's thread: it searches the chat's
collections, keeps what it found against that message (``app.docs.sources``) and
returns the passages block for the prompt. A chat with no collection on gets None, and
its prompt is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.docs import sources
from app.docs.context import passages_block
from app.docs.embedder import LlamaEmbedder
from app.docs.index import DocIndex, docs_database_path
from app.docs.retrieval import DEFAULT_PASSAGES, Mode, Retrieval, Retriever, whole_budget_chars
from app.docs.vectors import Embedder
from app.store.records import Message


class ChatDocs:
    """The index, its retriever, and the documents side of each chat."""

    def __init__(
        self, index: DocIndex, embedder: Embedder | None = None, mode: Mode = "hybrid"
    ) -> None:
        self.index = index
        self.retriever = Retriever(index, embedder)
        self.mode: Mode = mode

    @classmethod
    def open(cls, data_folder: Path, embedder: Embedder | None = None) -> ChatDocs:
        """The index in ``data_folder``; vectors from ``embedder``, else from the model
        chosen with ``hearth docs embedder`` when its file is there (else BM25 alone)."""
        index = DocIndex.open(docs_database_path(data_folder))
        if embedder is None:
            chosen = index.embedder_path()
            if chosen is not None and chosen.is_file():
                embedder = LlamaEmbedder(chosen)
        return cls(index, embedder)

    def __enter__(self) -> ChatDocs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder | None:
        return self.retriever.embedder

    def close(self) -> None:
        close = getattr(self.retriever.embedder, "close", None)
        if close is not None:
            close()
        self.index.close()

    def search(
        self, question: str, collection_ids: list[int], context_tokens: int = 0
    ) -> Retrieval:
        return self.retriever.search(
            question,
            collection_ids,
            limit=DEFAULT_PASSAGES,
            mode=self.mode,
            whole_chars=whole_budget_chars(context_tokens),
        )

    def context_for(
        self, conversation_id: int, message: Message, context_tokens: int = 0
    ) -> str | None:
        collections = self.index.chat_collections(conversation_id)
        if not collections:
            return None
        retrieval = self.search(message.content, collections, context_tokens)
        sources.record(self.index, message.id, retrieval)
        return passages_block(retrieval.hits)

    def hook(
        self, conversation_id: int, context_tokens: int = 0
    ) -> Callable[[Message], str | None] | None:
        """The ``ChatOptions.documents`` callable for a chat, or None when it has no
        collection on (so its replies are as they were)."""
        if not self.index.chat_collections(conversation_id):
            return None
        return lambda message: self.context_for(conversation_id, message, context_tokens)

    def provider(
        self, context_tokens: Callable[[], int]
    ) -> Callable[[int], Callable[[Message], str | None] | None]:
        """``ChatService.documents_for``: each chat's hook, sized to the loaded model's
        context (``context_tokens`` is asked at each question)."""
        return lambda conversation_id: self.hook(conversation_id, context_tokens())
