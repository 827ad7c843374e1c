"""``hearth chat`` flags: --system, --max-tokens, --think, --effort and --hide-thinking.

The starter model (SmolLM2, no thinking) checks what reaches the model and the store; a
tiny random-weight Llama whose template opens ``<think>`` and reads ``enable_thinking``
checks how thinking is printed: to stderr before the answer, dimmed on a terminal only.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from app.hearth import Hearth
from app.store.records import Message
from tests.support.model_settings import save_settings
from tests.support.terminal import read_all
from tests.support.tiny_gguf import write_tiny_llama

HEARTH = Path(sys.executable).parent / "hearth"
DIM = "\x1b[2m"

# Our own template: plain "### role:" turns; the reply opens in <think> unless
# enable_thinking is false, which closes it empty (the Qwen3 convention).
THINKING_TEMPLATE = (
    "{% for m in messages %}### {{ m.role }}: {{ m.content }}\n{% endfor %}"
    "{% if add_generation_prompt %}### assistant:\n"
    "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n"
    "{% else %}<think>\n{% endif %}{% endif %}"
)
LONG_INSTRUCTIONS = " ".join(
    f"Rule {n}: always answer politely, briefly and in plain English." for n in range(1, 21)
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def last_reply() -> Message:
    hearth = Hearth.open()
    try:
        conversations = hearth.conversations.list_conversations()
        newest = max(conversations, key=lambda conversation: conversation.id)
        reply = hearth.conversations.active_path(newest.id)[-1]
    finally:
        hearth.close()
    assert reply.role == "assistant" and reply.status == "complete", reply
    return reply


@pytest.fixture
def thinker(tmp_path: Path, hearth_home: Path) -> Path:
    """A tiny model that thinks, with a fixed seed so its replies never end at token one."""
    path = write_tiny_llama(tmp_path / "tiny-thinker.gguf", chat_template=THINKING_TEMPLATE)
    save_settings(path, seed=1)
    return path


# --- the starter model ----------------------------------------------------------------


def test_max_tokens_caps_the_reply(hearth_home: Path, capsys):
    code, out, err = run(
        capsys, "chat", "--max-tokens", "5", "Write a long story about a dragon and a knight."
    )
    assert code == 0, err
    assert out.strip()
    reply = last_reply()
    assert reply.completion_tokens is not None and 1 <= reply.completion_tokens <= 5
    assert "5 tokens" in err or f"{reply.completion_tokens} tokens" in err


def test_max_tokens_must_be_a_positive_number(hearth_home: Path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["chat", "--max-tokens", "0", "Hi"])
    assert exit_.value.code == 2
    assert "--max-tokens: must be at least 1" in capsys.readouterr().err


def test_system_replaces_the_models_instructions(hearth_home: Path, starter_model: Path, capsys):
    save_settings(starter_model, system_prompt=LONG_INSTRUCTIONS)
    code, _, err = run(capsys, "chat", "--max-tokens", "3", "Hi")
    assert code == 0, err
    with_saved = last_reply()

    code, out, err = run(capsys, "chat", "--max-tokens", "3", "--system", "Be brief.", "Hi")
    assert code == 0, err
    with_flag = last_reply()

    # The saved instructions (~300 tokens) were not sent; the short ones were.
    assert with_saved.prompt_tokens and with_flag.prompt_tokens
    assert with_flag.prompt_tokens < with_saved.prompt_tokens - 200

    code, _, err = run(capsys, "chat", "--max-tokens", "3", "--system", LONG_INSTRUCTIONS, "Hi")
    assert code == 0, err
    assert last_reply().prompt_tokens == with_saved.prompt_tokens  # the same text, sent

    code, shown, _ = run(capsys, "conversations", "show", str(with_flag.conversation_id))
    assert code == 0 and "Hi" in shown and out.strip() in shown


def test_think_on_a_model_without_a_switch_says_so_in_one_line(hearth_home: Path, capsys):
    code, out, err = run(capsys, "chat", "--max-tokens", "3", "--think", "on", "Hi")
    assert code == 0, err
    assert out.strip()
    notices = [line for line in err.splitlines() if "thinking switch" in line]
    assert notices == ["SmolLM2-135M-Instruct has no thinking switch: --think is ignored"]

    code, out, err = run(
        capsys, "chat", "-q", "--max-tokens", "3", "--think", "off", "--effort", "low", "Hi"
    )
    assert code == 0 and out.strip()
    assert err.strip() == (
        "SmolLM2-135M-Instruct has no thinking switch: --think and --effort are ignored"
    )


def test_hide_thinking_is_accepted_on_a_model_that_does_not_think(hearth_home: Path, capsys):
    code, out, err = run(capsys, "chat", "--max-tokens", "3", "--hide-thinking", "Hi")
    assert code == 0, err
    assert out.strip() == last_reply().content.strip()


# --- a model that thinks --------------------------------------------------------------


def test_thinking_goes_to_stderr_before_the_answer(thinker: Path, capsys):
    code, out, err = run(capsys, "chat", "-m", str(thinker), "--max-tokens", "8", "Hello")
    assert code == 0, err
    reply = last_reply()
    assert reply.reasoning.strip() and not reply.content  # all 8 tokens were thinking
    assert out == "\n"  # no answer yet, and no thinking on stdout
    assert reply.reasoning.strip() in err
    assert DIM not in err  # stderr is not a terminal here
    assert "thinking switch" not in err  # this template has one


def test_think_off_reaches_the_template(thinker: Path, capsys):
    code, out, err = run(
        capsys, "chat", "-m", str(thinker), "--max-tokens", "8", "--think", "off", "Hello"
    )
    assert code == 0, err
    reply = last_reply()
    assert reply.content and not reply.reasoning  # the template closed <think> itself
    assert out.strip() == reply.content.strip()


def test_effort_on_a_model_without_it_says_so(thinker: Path, capsys):
    code, _, err = run(
        capsys, "chat", "-m", str(thinker), "--max-tokens", "4", "--effort", "high", "Hello"
    )
    assert code == 0, err
    assert "tiny-thinker has no thinking effort setting: --effort is ignored" in err


def test_hide_thinking_prints_none_of_it(thinker: Path, capsys):
    code, out, err = run(
        capsys, "chat", "-m", str(thinker), "--max-tokens", "8", "--hide-thinking", "Hello"
    )
    assert code == 0, err
    reply = last_reply()
    assert reply.reasoning.strip()  # still stored
    assert reply.reasoning.strip() not in err and out == "\n"
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[:2] == ["Loading tiny-thinker...", "tiny-thinker on CPU, context 512 tokens"]
    assert len(lines) == 3 and lines[2].startswith("[8 tokens"), err


def test_thinking_is_dimmed_on_a_terminal(thinker: Path, hearth_home: Path):
    leader, follower = pty.openpty()
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    env.pop("NO_COLOR", None)
    with open(os.devnull) as nothing:
        child = subprocess.run(
            [str(HEARTH), "chat", "-m", str(thinker), "--max-tokens", "8", "Hello"],
            stdin=nothing,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
            timeout=120,
        )
    os.close(follower)
    terminal = read_all(leader).decode(errors="replace")
    assert child.returncode == 0, terminal
    assert last_reply().reasoning.strip()
    # Dimmed, and switched back to normal before the figures that end the reply.
    assert terminal.index("Loading tiny-thinker") < terminal.index(DIM)
    assert terminal.index(DIM) < terminal.rindex("\x1b[22m") < terminal.index("[8 tokens")
    assert child.stdout == b"\n"


def test_a_broken_template_falls_back_and_says_so(tmp_path: Path, hearth_home: Path, capsys):
    path = write_tiny_llama(tmp_path / "tiny-broken.gguf", chat_template="{% for %}")
    save_settings(path, seed=1)
    code, out, err = run(capsys, "chat", "-m", str(path), "--max-tokens", "4", "Hello")
    assert code == 0, err
    assert "built-in" in err
    assert out.strip() == last_reply().content.strip()
