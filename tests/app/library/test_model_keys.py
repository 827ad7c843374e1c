"""Model keys hold the repo and path, and a database from before moves its rows to them.

Two repositories often publish a file of the same name (``ggml-model-Q4_K_M.gguf``);
keyed by the bare name they shared custom instructions. Now a file in the models folder
is keyed by its path there, an imported one by its absolute path. A database written
before (schema 5, bare names) is migrated when Hearth opens, and nobody's saved
instructions are lost.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.hearth import Hearth
from app.library.imports import ImportRegistry
from app.library.model_keys import key_label, model_key
from app.paths import hearth_paths
from app.store.migrations import migrate
from tests.support.tiny_gguf import write_tiny_llama

SHARED = "ggml-model-Q4_K_M.gguf"
ALICE = f"alice/tiny-GGUF/{SHARED}"
BOB = f"bob/tiny-GGUF/{SHARED}"
SOLO = "carol/solo-GGUF/solo-Q8_0.gguf"


def test_files_of_the_same_name_in_two_repos_have_two_keys(tmp_path: Path, starter_model):
    models = tmp_path / "models"
    alice, bob = models / ALICE, models / BOB
    imported = tmp_path / "Downloads" / SHARED

    assert model_key(alice, models) == ALICE
    assert model_key(str(bob), models) == BOB
    assert model_key(imported, models) == str(imported.resolve())
    # The starter model keeps its file name: its install path changes with every install.
    assert model_key(starter_model, models) == starter_model.name


def test_the_key_survives_moving_the_models_folder(tmp_path: Path):
    before, after = tmp_path / "old-models", tmp_path / "drive" / "models"
    assert model_key(before / ALICE, before) == model_key(after / ALICE, after) == ALICE


def test_lists_show_a_short_name_not_the_key(tmp_path: Path):
    assert key_label(ALICE) == "ggml-model-Q4_K_M"
    assert key_label(str(tmp_path / "Downloads" / "Mine-Q8_0.gguf")) == "Mine-Q8_0"
    assert key_label("C:\\Models\\big-00001-of-00003.gguf") == "big"
    assert key_label(None) == "No model"


def _old_database(path: Path) -> None:
    """A database as Hearth left it before repo-and-path keys (schema 5, bare names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(conn, target=5)
        for key, prompt in (
            (SHARED, "Shared by both repos."),
            ("solo-Q8_0.gguf", "Answer as Carol."),
            ("gone-Q4_0.gguf", "A model deleted since."),
        ):
            conn.execute(
                "INSERT INTO model_settings (model_key, system_prompt, temperature, top_p,"
                " top_k, min_p, repeat_penalty, max_tokens, updated_at)"
                " VALUES (?, ?, 0.5, 0.9, 40, 0.05, 1.1, 64, 1.0)",
                (key, prompt),
            )
        for conversation, model in ((1, "solo-Q8_0.gguf"), (2, SHARED), (3, "gone-Q4_0.gguf")):
            conn.execute(
                "INSERT INTO conversations (id, title, model, created_at, updated_at)"
                " VALUES (?, 'Old chat', ?, 1.0, 2.0)",
                (conversation, model),
            )
            conn.execute(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, model,"
                " created_at, updated_at) VALUES (?, ?, NULL, 'assistant', 'Hello.', ?, 2.0, 2.0)",
                (conversation, conversation, model),
            )
    finally:
        conn.close()


def _prompt(hearth: Hearth, key: str) -> str:
    return hearth.model_settings.get(key).system_prompt


def test_a_database_from_before_moves_each_bare_name_to_its_models_key(
    hearth_home: Path, tmp_path: Path
):
    paths = hearth_paths().ensure()
    for relative in (ALICE, BOB, SOLO):
        (paths.models / relative).parent.mkdir(parents=True)
        write_tiny_llama(paths.models / relative)
    _old_database(paths.database)

    hearth = Hearth.open(paths)
    try:
        conversations = hearth.conversations
        # One model carries the name: its settings and its chats move to its key.
        assert _prompt(hearth, SOLO) == "Answer as Carol."
        assert conversations.get_conversation(1).model == SOLO
        assert conversations.get_message(1).model == SOLO
        # Two carry it: they shared the one row, so each keeps a copy, and they part
        # from here on. Which file wrote the old chat is unknown: it keeps the name.
        assert _prompt(hearth, ALICE) == _prompt(hearth, BOB) == "Shared by both repos."
        assert conversations.get_conversation(2).model == SHARED
        alice_settings = hearth.model_settings.get(ALICE)
        alice_settings.system_prompt = "Answer as Alice."
        hearth.model_settings.save(alice_settings)
        assert _prompt(hearth, BOB) == "Shared by both repos."
        # None carries it now: nothing is lost, and it waits for the model to come back.
        assert _prompt(hearth, "gone-Q4_0.gguf") == "A model deleted since."
        assert conversations.get_conversation(3).model == "gone-Q4_0.gguf"
    finally:
        hearth.close()

    # The model comes back, imported from elsewhere: the next start settles the name.
    back = tmp_path / "usb" / "gone-Q4_0.gguf"
    back.parent.mkdir()
    write_tiny_llama(back)
    ImportRegistry.in_folder(paths.config).add(back, paths.models)
    again = Hearth.open(paths)
    try:
        assert _prompt(again, str(back.resolve())) == "A model deleted since."
        assert again.conversations.get_conversation(3).model == str(back.resolve())
        assert _prompt(again, ALICE) == "Answer as Alice."  # settled names stay settled
        assert again.model_key(paths.models / SOLO) == SOLO
    finally:
        again.close()


def test_a_new_database_has_nothing_to_move(hearth_home: Path):
    hearth = Hearth.open(hearth_paths())
    try:
        with hearth.database.read() as conn:
            assert conn.execute("SELECT count(*) FROM legacy_model_keys").fetchone()[0] == 0
    finally:
        hearth.close()
