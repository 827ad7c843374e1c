"""``hearth chat --think-longer N``: think longer about a reply just given, in the terminal.

Progress goes to stderr (one line per candidate, with how many prompt tokens it had to
evaluate, so the reuse of the KV cache is visible), the chosen answer to stdout, then the
reason. Ctrl+C stops the run; the reply is then left as it was.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from app.chat.service import ChatOptions
from app.hearth import Hearth
from app.store.think_runs import StoredCandidate, ThinkRunStore
from app.think.longer import DEFAULT_BUDGET_S, ThinkCallbacks, ThinkLonger


def think_longer_in_terminal(
    hearth: Hearth,
    reply_id: int,
    count: int,
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    quiet: bool = False,
    status: Callable[[str], None],
    options: ChatOptions | None = None,
) -> int:
    """Runs think longer on ``reply_id``; 0 when a new version was made, else 1."""
    say = (lambda _text: None) if quiet else status

    def done(candidate: StoredCandidate) -> None:
        figures = f"{candidate.completion_tokens or 0} tokens"
        if candidate.prompt_eval_tokens is not None:
            figures += f", {candidate.prompt_eval_tokens} prompt tokens evaluated"
        state = "" if candidate.status == "complete" else f" ({candidate.status.replace('_', ' ')})"
        say(f"  candidate {candidate.position}: {figures}{state}")

    callbacks = ThinkCallbacks(
        on_candidate=lambda position, of, heat: say(
            f"Thinking longer: candidate {position} of {of} (temperature {heat:.2f})..."
        ),
        on_candidate_done=done,
        on_judging=lambda: say("Comparing the candidates..."),
    )
    callbacks.reply.on_text = _write
    thinker = ThinkLonger(hearth.chat, ThinkRunStore(hearth.database))
    control = hearth.chat.begin_reply()
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: control.stop())
    try:
        result = thinker.run(
            reply_id,
            count,
            budget_s=budget_s,
            callbacks=callbacks,
            control=control,
            options=options,
        )
    except ValueError as problem:
        status(f"hearth: {problem}")
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
    if result.stopped:
        status(f"hearth: {result.reason}")
        return 1
    if result.error or result.message is None:
        status(f"hearth: think longer failed: {result.error or result.reason}")
        return 1
    if result.method != "effort":  # a raised effort streamed its reply already
        sys.stdout.write(result.message.content)
    sys.stdout.write("\n")
    sys.stdout.flush()
    say(f"[think longer, {result.seconds:.1f} s] {result.reason}")
    return 0


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
