"""Choosing among candidate answers: majority vote on short factual answers
(self-consistency), or a judging prompt in which the model picks one and says why.

Majority vote compares *normalised* answers: the last number an answer gives that the
question did not (``1,200``, ``1200.0`` and ``1200`` agree; a unit after it does not
matter; "6 times 7 is" has not answered "6 times 7?"), else the words of a
short answer in lower case without punctuation or a leading "the answer is". An answer
longer than :data:`SHORT_WORDS` words with no number cannot be voted on: the judge decides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SHORT_WORDS = 30
# Each candidate is cut to this many characters in the judging prompt, so N of them fit.
JUDGE_CHARS = 1500

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_LEADING = re.compile(
    r"^(?:so,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|result)\s*(?:is|:|=)\s*", re.IGNORECASE
)
_BEST = re.compile(r"best\s*(?:candidate|answer)?\s*[:#=-]?\s*(?:candidate\s*)?#?(\d+)", re.I)
_REASON = re.compile(r"reason\s*[:=-]\s*(.+)", re.IGNORECASE | re.DOTALL)


def number_key(text: str, ignore: frozenset[str] = frozenset()) -> str | None:
    """The last number in ``text`` not in ``ignore``, written canonically ("1,200.50" →
    "1200.5")."""
    for raw in reversed(_NUMBER.findall(text)):
        key = _canonical(raw)
        if key is not None and key not in ignore:
            return key
    return None


def question_numbers(question: str) -> frozenset[str]:
    """The numbers a question gives: an answer that only repeats them has not answered."""
    keys = (_canonical(raw) for raw in _NUMBER.findall(question))
    return frozenset(key for key in keys if key is not None)


def _canonical(raw: str) -> str | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def text_key(text: str) -> str | None:
    """A short answer's words, normalised; None for a long one."""
    words = text.split()
    if not words or len(words) > SHORT_WORDS:
        return None
    cleaned = _LEADING.sub("", " ".join(words))
    cleaned = re.sub(r"[^\w\s]", "", cleaned.lower())
    return " ".join(cleaned.split()) or None


def answer_key(text: str, question: str = "") -> str | None:
    """What an answer says, for voting: its last number that the question did not give,
    else its short text (None: neither)."""
    return number_key(text, question_numbers(question)) or text_key(text)


@dataclass(frozen=True)
class Verdict:
    """chosen: 0-based index of the winning candidate (None: no majority)."""

    chosen: int | None
    reason: str


def majority(answers: Sequence[str], question: str = "") -> Verdict:
    """The most common normalised answer, when there is one clear winner with at least
    two votes; the first candidate that gave it is chosen."""
    keys = [answer_key(text, question) for text in answers]
    if len(answers) < 2 or any(key is None for key in keys):
        return Verdict(None, "Not every answer is short or numeric: no vote.")
    counts = Counter(keys).most_common()
    top_key, top = counts[0]
    if top < 2 or (len(counts) > 1 and counts[1][1] == top):
        return Verdict(None, "No answer had a clear majority.")
    chosen = keys.index(top_key)
    return Verdict(chosen, f"{top} of {len(answers)} candidates agreed on “{top_key}”.")


def answer_matching(judgement: str, answers: Sequence[str], question: str = "") -> int | None:
    """The first candidate (0-based) whose number is the one a judge's reply gives, for a
    judge that answered the question instead of naming a candidate; None if none does."""
    said = number_key(judgement, question_numbers(question))
    if said is None:
        return None
    keys = [number_key(text, question_numbers(question)) for text in answers]
    return keys.index(said) if said in keys else None


def judge_messages(question: str, answers: Sequence[str]) -> list[dict[str, Any]]:
    """The prompt in which the model compares the candidates and names the best."""
    parts = [
        "Compare these candidate answers to the question and pick the best one: the most "
        "correct, then the most helpful.",
        f"Question:\n{question.strip()}",
    ]
    for number, text in enumerate(answers, start=1):
        shown = text.strip()
        if len(shown) > JUDGE_CHARS:
            shown = shown[:JUDGE_CHARS] + " …"
        parts.append(f"Candidate {number}:\n{shown}")
    parts.append(
        "Reply in exactly this form:\nBest: <candidate number>\nReason: <one sentence saying why>"
    )
    return [{"role": "user", "content": "\n\n".join(parts)}]


def read_judgement(reply: str, count: int) -> Verdict:
    """The candidate the judge named (0-based) and its reason; None when it named none."""
    match = _BEST.search(reply)
    number = int(match.group(1)) if match else None
    if number is None:  # a bare number alone on the reply's first line
        first = reply.strip().splitlines()[0] if reply.strip() else ""
        bare = re.fullmatch(r"\s*#?(\d+)[.)]?\s*", first)
        number = int(bare.group(1)) if bare else None
    reason_match = _REASON.search(reply)
    reason = (reason_match.group(1) if reason_match else reply).strip()
    reason = " ".join(reason.split())[:300]
    if number is None or not 1 <= number <= count:
        return Verdict(None, reason)
    return Verdict(number - 1, reason)
