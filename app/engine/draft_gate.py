"""Whether speculative drafts pay on this machine, measured as the reply goes.

A verify step costs a decode of the draft's tokens as well as the last one. Where the
model's weights stream from memory (a GPU, a large model) those extra tokens are almost
free; where the arithmetic itself is the limit (a small model on a few CPU cores) they
cost nearly as much as decoding them one by one, and every wrong guess is lost time.
So the loop times its own steps: seconds per token kept, for steps with a draft and for
steps without (a moving average of each). While drafted steps cost more per token, the
gate pauses drafting for a number of steps (and takes a few steps without a draft
first when it has none to compare with), doubling the pause each time drafting loses
again (up to LONGEST_PAUSE), and starting over when it wins. The measurements belong to
the model's loop, so they carry over from one reply to the next.
"""

from __future__ import annotations

FIRST_PAUSE = 16
# Steps without a draft taken to time them, when drafting never left a step without one.
PLAIN_PROBE = 4
LONGEST_PAUSE = 512
SMOOTHING = 0.3  # the weight of the newest step in each average


class DraftGate:
    """Times steps with and without a draft; see the module docstring."""

    def __init__(self) -> None:
        self.plain_s: float | None = None  # seconds per token, steps without a draft
        self.drafted_s: float | None = None  # seconds per token kept, steps with one
        self._pause = FIRST_PAUSE
        self._left = 0
        self.paused_steps = 0

    def wants_draft(self) -> bool:
        """Whether this step should ask for a draft (False while drafting is paused)."""
        if self._left:
            self._left -= 1
            self.paused_steps += 1
            return False
        return True

    def record(self, drafted: bool, seconds: float, tokens: int) -> None:
        """One step took ``seconds`` and gave ``tokens`` tokens."""
        per_token = seconds / max(1, tokens)
        if not drafted:
            self.plain_s = _average(self.plain_s, per_token)
            return
        self.drafted_s = _average(self.drafted_s, per_token)
        if self.plain_s is None:  # nothing to compare with yet: time a few plain steps
            self._left = PLAIN_PROBE
            return
        if self.drafted_s > self.plain_s:
            self._left = self._pause
            self._pause = min(LONGEST_PAUSE, self._pause * 2)
            self.drafted_s = None  # the next try is judged afresh
        else:
            self._pause = FIRST_PAUSE


def _average(old: float | None, new: float) -> float:
    return new if old is None else old + SMOOTHING * (new - old)
