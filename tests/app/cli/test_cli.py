"""The command line, run as a user would, on the real model and a private HEARTH_HOME."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from app.cli.main import main
from tests.support.interactive_chat import begin_a_long_story, read_until, start_interactive_chat


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_chat_streams_a_reply_and_stores_the_conversation(hearth_home: Path, capsys):
    code, out, err = run(capsys, "chat", "What is the capital of France?")
    assert code == 0
    assert out.strip()
    assert "tok/s" in err  # the figures go to stderr, the reply alone to stdout
    assert (hearth_home / "data" / "hearth.sqlite3").is_file()

    code, listing, _ = run(capsys, "conversations", "list")
    assert code == 0 and "What is the capital of France?" in listing

    code, hits, _ = run(capsys, "conversations", "search", "capital")
    assert code == 0 and "capital" in hits and "[1]" in hits

    code, shown, _ = run(capsys, "conversations", "show", "1")
    assert code == 0 and "What is the capital of France?" in shown and out.strip()[:20] in shown

    exported = hearth_home / "chat.json"
    code, _, _ = run(
        capsys, "conversations", "export", "1", "--format", "json", "-o", str(exported)
    )
    data = json.loads(exported.read_text())
    assert code == 0
    contents = [m["content"] for m in data["messages"]]
    assert contents[0] == "What is the capital of France?" and contents[1] == out.strip()


def test_chat_with_a_model_by_path_and_a_missing_model(
    hearth_home: Path, starter_model: Path, capsys
):
    code, out, _ = run(capsys, "chat", "--model", str(starter_model), "-q", "Hi")
    assert code == 0 and out.strip()
    code, _, err = run(capsys, "chat", "--model", "no-such-model", "Hi")
    assert code == 1 and "No model named 'no-such-model'" in err


def test_models_list_shows_the_starter_model(hearth_home: Path, capsys):
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    assert "SmolLM2-135M-Instruct (starter)" in out
    assert str(hearth_home / "models") in out


def test_a_missing_conversation_is_a_clear_error(hearth_home: Path, capsys):
    code, _, err = run(capsys, "conversations", "show", "42")
    assert code == 1 and "no conversation 42" in err


def test_bench_prints_both_runs_and_their_ratio(hearth_home: Path, capsys):
    code, out, _ = run(
        capsys, "bench", "--tokens", "24", "--repeat", "2", "--first-token", "74", "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["hearth"]["generated_tokens"] == 24
    assert result["bare_llama_cpp_python"]["generated_tokens"] == 24
    per_pair = result["generation_ratio_per_pair"]
    assert len(per_pair) == 2 and all(ratio > 0 for ratio in per_pair)
    assert (
        result["generation_ratio"] == round(sum(per_pair) / 2, 4)
        or abs(result["generation_ratio"] - sum(per_pair) / 2) < 1e-3
    )


def test_interactive_chat_ctrl_c_stops_a_reply_and_keeps_it(hearth_home: Path):
    child = start_interactive_chat(hearth_home)
    deadline = time.monotonic() + 120
    try:
        begin_a_long_story(child, deadline)
        child.send_signal(signal.SIGINT)
        read_until(child.stdout, "> ", deadline)  # back at the prompt, still running
        child.stdin.write("/new\nHello\n/exit\n")
        child.stdin.flush()
        _out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert "stopped" in err

    from app.store.conversations import ConversationStore
    from app.store.database import Database

    store = ConversationStore(Database.open(hearth_home / "data" / "hearth.sqlite3"))
    conversations = store.list_conversations()
    assert len(conversations) == 2  # /new started a second one
    story = store.active_path(conversations[-1].id)
    assert story[-1].status == "stopped" and story[-1].content


def test_system_describes_this_machine_and_the_load_plan(hearth_home: Path, capsys):
    code, out, _ = run(capsys, "system")
    assert code == 0
    assert "Memory:" in out and "Engine:" in out and "llama-cpp-python 0.3.36" in out
    assert "SmolLM2-135M-Instruct: " in out
    code, out, _ = run(capsys, "system", "--json")
    assert code == 0 and json.loads(out)["total_ram"] > 0
