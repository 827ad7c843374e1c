"""An embedding model is refused for chat with a message saying what it is for, from the
CLI and from `hearth system`, never a traceback or a failed load."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.main import main
from tests.support.embedding_gguf import write_embedding_gguf


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_chatting_with_an_embedding_model_says_what_it_is_for(
    hearth_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = write_embedding_gguf(hearth_home / "models" / "tiny-embed.gguf")
    code, out, err = run(capsys, "chat", "--model", str(model), "Hello")
    assert code != 0
    assert "is an embedding model" in err and "cannot chat" in err
    assert "Traceback" not in out + err


def test_system_leaves_embedding_models_out_of_how_models_would_load(
    hearth_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_embedding_gguf(hearth_home / "models" / "tiny-embed.gguf")
    code, out, err = run(capsys, "system")
    assert code == 0, err
    assert "How each model would load here:" in out
    assert "tiny-embed" not in out.split("How each model would load here:")[1]
