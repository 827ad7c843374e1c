"""``hearth chat --think-longer N``: the reply, then N candidates and the kept version."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.main import main
from app.hearth import Hearth
from app.store.think_runs import ThinkRunStore


def test_think_longer_on_the_command_line(
    hearth_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["chat", "--max-tokens", "24", "--think-longer", "2", "What is 5 plus 7? Answer briefly."]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Thinking longer: candidate 1 of 2" in err
    assert "candidate 2 of 2" in err
    assert "prompt tokens evaluated" in err
    assert "[think longer" in err
    hearth = Hearth.open()
    try:
        conversation = hearth.conversations.list_conversations()[0]
        shown = hearth.conversations.active_path(conversation.id)[-1]
        versions = hearth.conversations.versions(shown.id)
        assert len(versions) == 2 and versions[-1].id == shown.id
        run = ThinkRunStore(hearth.database).for_message(shown.id)
        assert run is not None and len(run.candidates) == 2
        assert shown.content.strip() in out
    finally:
        hearth.close()


def test_a_bad_count_is_refused_in_one_line(
    hearth_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["chat", "--think-longer", "0", "hi"])
    assert "must be at least 1" in capsys.readouterr().err
