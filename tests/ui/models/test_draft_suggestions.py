"""The Models page suggests a draft model for speculative decoding beside each catalog
model that has one (a small model of the same vocabulary), and says how to use it."""

from __future__ import annotations

from app.library.catalog import load_catalog
from tests.support.hub_server import HubServer
from tests.ui.models.helpers import list_texts


def test_catalog_models_show_their_suggested_draft(page, hub: HubServer):
    results = page.search_panel.results
    texts = list_texts(results)
    qwen = next(text for text in texts if "Qwen2.5 72B Instruct" in text)
    assert qwen.endswith("draft: Qwen2.5 0.5B Instruct")
    llama = next(text for text in texts if "Llama 3.3 70B Instruct" in text)
    assert llama.endswith("draft: Llama 3.2 1B Instruct")
    row = texts.index(qwen)
    assert "Qwen/Qwen2.5-0.5B-Instruct-GGUF" in results.item(row).toolTip()
    assert "speculative decoding" in results.item(row).toolTip()
    # A model with no smaller sibling of its vocabulary suggests none.
    mistral = next(text for text in texts if "Mistral 7B" in text)
    assert "draft:" not in mistral


def test_every_chat_model_with_a_draft_names_a_repository():
    catalog = load_catalog()
    drafts = [model.draft for model in catalog.models if model.draft]
    assert len(drafts) >= 8
    assert all(draft.repo_id.count("/") == 1 and draft.name for draft in drafts)
    assert all(not model.draft for model in catalog.models if model.is_embedding)
