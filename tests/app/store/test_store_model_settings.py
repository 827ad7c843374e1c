"""Per-model settings: defaults until saved, then exactly what was saved."""

from __future__ import annotations

from dataclasses import fields

from app.store import Database, ModelSettings, ModelSettingsStore

_CUSTOM = ModelSettings(
    model_key="bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    system_prompt="You are a terse assistant.\nAnswer in French.",
    temperature=0.2,
    top_p=0.8,
    top_k=12,
    min_p=0.1,
    repeat_penalty=1.3,
    seed=424242,
    max_tokens=4096,
    context_length=16384,
    gpu_layers=28,
    chat_template_override="{% for m in messages %}{{ m.content }}{% endfor %}",
    thinking=False,
    effort="high",
    grammar='root ::= "yes" | "no"',
    tools="calculator,python,files",
    tool_choice="required",
    kv_cache_type="q8_0",
    speculative="draft",
    draft_model="bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
)


def test_unsaved_model_gets_the_defaults(settings_store: ModelSettingsStore) -> None:
    assert settings_store.get("never-saved.gguf") == ModelSettings(model_key="never-saved.gguf")
    assert settings_store.saved_model_keys() == []


def test_custom_values_differ_from_every_default() -> None:
    # Guards the round-trip test below: a field left at its default proves nothing.
    defaults = ModelSettings(model_key="other")
    for field in fields(ModelSettings):
        assert getattr(_CUSTOM, field.name) != getattr(defaults, field.name), field.name


def test_every_field_round_trips_through_the_file(db: Database) -> None:
    ModelSettingsStore(db).save(_CUSTOM)
    db.close()

    reopened = Database.open(db.path)
    try:
        loaded = ModelSettingsStore(reopened).get(_CUSTOM.model_key)
    finally:
        reopened.close()

    assert loaded == _CUSTOM


def test_saving_again_replaces_and_none_means_auto(settings_store: ModelSettingsStore) -> None:
    settings_store.save(_CUSTOM)
    changed = ModelSettings(
        model_key=_CUSTOM.model_key, temperature=1.0, gpu_layers=None, seed=None
    )

    settings_store.save(changed)

    assert settings_store.get(_CUSTOM.model_key) == changed
    assert settings_store.saved_model_keys() == [_CUSTOM.model_key]


def test_settings_are_kept_per_model(settings_store: ModelSettingsStore) -> None:
    settings_store.save(ModelSettings(model_key="a.gguf", temperature=0.1))
    settings_store.save(ModelSettings(model_key="b.gguf", temperature=1.5))

    assert settings_store.get("a.gguf").temperature == 0.1
    assert settings_store.get("b.gguf").temperature == 1.5
    assert settings_store.saved_model_keys() == ["a.gguf", "b.gguf"]


def test_reset_returns_to_defaults(settings_store: ModelSettingsStore) -> None:
    settings_store.save(_CUSTOM)

    settings_store.reset(_CUSTOM.model_key)

    assert settings_store.get(_CUSTOM.model_key) == ModelSettings(model_key=_CUSTOM.model_key)
