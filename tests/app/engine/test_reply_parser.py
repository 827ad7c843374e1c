"""The reply parser, fed scripted model output the way the engine host feeds it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pytest

from app.engine.reply_parser import Piece, ReplyParser, ThinkingFormat
from tests.support.stream_feeds import FEEDS, Feed

CHATML_END = "<|im_end|>"
DEEPSEEK_END = "<｜end▁of▁sentence｜>"
# What a host passes: the vocabulary's control-token texts, one family's or several.
CONTROL_TOKENS = (
    CHATML_END,
    "<|im_start|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<end_of_turn>",
    "</s>",
    "<|end|>",
    "<|return|>",
    "<|channel|>",
    DEEPSEEK_END,
    "<｜Assistant｜>",
)


@dataclass(frozen=True)
class Script:
    name: str
    raw: str  # the model's output as detokenized, special tokens included
    thinking: str  # what the user should see as thinking
    answer: str  # what the user should see as the answer
    fmt: ThinkingFormat = "tags"
    starts_in_thinking: bool = False
    hidden: Sequence[str] = CONTROL_TOKENS
    interleaved: Sequence[str] = ()  # the order of kinds, where not thinking then answer

    @property
    def order(self) -> list[str]:
        """Thinking shows above the answer."""
        if self.interleaved:
            return list(self.interleaved)
        return [
            kind for kind, text in (("thinking", self.thinking), ("answer", self.answer)) if text
        ]


SCRIPTS = [
    Script(
        "think tags",
        "<think>\nThe user adds 2 and 2.\n\nThat is 4.\n</think>\n\n2 + 2 = 4." + CHATML_END,
        "The user adds 2 and 2.\n\nThat is 4.",
        "2 + 2 = 4.",
    ),
    Script(
        "think tags after leading whitespace",
        "\n\n<think>Short plan.</think>Done.",
        "Short plan.",
        "Done.",
    ),
    Script(
        "empty think block (thinking switched off)",
        "<think>\n\n</think>\n\nHi there!" + CHATML_END,
        "",
        "Hi there!",
    ),
    Script(
        "forced-open think, multi-byte text",
        "Okay, 用户想要思考 🤔 about it.\n</think>\n\n答案是 42 😀." + DEEPSEEK_END,
        "Okay, 用户想要思考 🤔 about it.",
        "答案是 42 😀.",
        starts_in_thinking=True,
    ),
    Script(
        "forced-open think where the model opens it again",
        "<think>\nHmm, right.\n</think>\nSure." + CHATML_END,
        "Hmm, right.",
        "Sure.",
        starts_in_thinking=True,
    ),
    Script(
        "forced-open think whose answer is empty",
        "I must not answer.\n</think>\n\n" + DEEPSEEK_END,
        "I must not answer.",
        "",
        starts_in_thinking=True,
    ),
    Script(
        "[THINK] tags",
        "[THINK]Convert 5000 m: that is 5 km.[/THINK]It is 5 km.</s>",
        "Convert 5000 m: that is 5 km.",
        "It is 5 km.",
    ),
    Script(
        "harmony analysis then final",
        "<|channel|>analysis<|message|>User asks 2+2. Simple.<|end|>"
        "<|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>",
        "User asks 2+2. Simple.",
        "2 + 2 = 4.",
        fmt="harmony",
    ),
    Script(
        "harmony commentary tool call",
        "<|channel|>analysis<|message|>Need the weather in Paris.<|end|>"
        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
        '<|message|>{"city": "Paris"}<|call|>',
        "Need the weather in Paris.",
        "",
        fmt="harmony",
    ),
    Script(
        "harmony tool call with the recipient in the role",
        "<|start|>assistant to=functions.lookup<|channel|>commentary json"
        '<|message|>{"q": "思考"}<|call|>',
        "",
        "",
        fmt="harmony",
    ),
    Script(
        "harmony preamble, then final",
        "<|channel|>analysis<|message|>Check first.<|end|>"
        "<|start|>assistant<|channel|>commentary<|message|>Let me check that.<|end|>"
        "<|start|>assistant<|channel|>analysis<|message|>Checked: it is fine.<|end|>"
        "<|start|>assistant<|channel|>final<|message|>All good 👍<|return|>",
        "Check first.\n\nChecked: it is fine.",
        "Let me check that.\n\nAll good 👍",
        fmt="harmony",
        interleaved=("thinking", "answer", "thinking", "answer"),
    ),
    Script(
        "harmony final only",
        "<|channel|>final<|message|>Bonjour, ça va ?<|return|>",
        "",
        "Bonjour, ça va ?",
        fmt="harmony",
    ),
    Script(
        "harmony text before any header",
        "Hello there.<|end|>",
        "",
        "Hello there.",
        fmt="harmony",
    ),
    Script(
        "harmony reply cut off while thinking",
        "<|channel|>analysis<|message|>Let me think about 思考 and",
        "Let me think about 思考 and",
        "",
        fmt="harmony",
    ),
    Script(
        "harmony with the prompt already on the analysis channel",
        "Quick check.<|end|><|start|>assistant<|channel|>final<|message|>Yes.",
        "Quick check.",
        "Yes.",
        fmt="harmony",
        starts_in_thinking=True,
    ),
    Script(
        "answer with no thinking",
        "Paris is the capital of France." + CHATML_END,
        "",
        "Paris is the capital of France.",
    ),
    Script(
        "answer that talks about <think> mid-reply",
        "Reasoning models write <think> first, like `<think>plan</think>`, then answer.",
        "",
        "Reasoning models write <think> first, like `<think>plan</think>`, then answer.",
    ),
    Script(
        "answer that talks about [THINK] mid-reply",
        "Use [THINK] and [/THINK] around it.<end_of_turn>",
        "",
        "Use [THINK] and [/THINK] around it.",
    ),
    Script(
        "stray closing tag at the start",
        "</think>\n\nThe answer is 7.",
        "",
        "The answer is 7.",
    ),
    Script(
        "stray closing tag mid-answer",
        "The answer</think> is 7.",
        "",
        "The answer is 7.",
    ),
    Script(
        "hidden markers inside text",
        "<think>a<|im_end|>b<|eot_id|>c</think>Hel<|im_start|>lo<end_of_turn> wor"
        + DEEPSEEK_END
        + "ld</s><|endoftext|>",
        "abc",
        "Hello world",
    ),
    Script(
        "fullwidth DeepSeek markers between multi-byte text",
        "思<｜Assistant｜>考</think>😀" + DEEPSEEK_END + "😀",
        "思考",
        "😀😀",
        starts_in_thinking=True,
    ),
    Script(
        "reply ending mid-thinking",
        "<think>Still working on 思考 and",
        "Still working on 思考 and",
        "",
    ),
    Script(
        "reply ending mid-tag",
        "<think>Plan</thi",
        "Plan</thi",
        "",
    ),
    Script(
        "reply ending mid-marker",
        "Almost done <|im_",
        "",
        "Almost done <|im_",
    ),
]


def parse(script: Script, chunks: Iterable[str]) -> list[Piece]:
    parser = ReplyParser(
        script.fmt, starts_in_thinking=script.starts_in_thinking, hidden_markers=script.hidden
    )
    pieces = [piece for chunk in chunks for piece in parser.feed(chunk)]
    return pieces + parser.finish()


def check(script: Script, chunks: Iterable[str]) -> None:
    pieces = parse(script, chunks)
    assert all(piece.text for piece in pieces)
    shown = {
        kind: "".join(piece.text for piece in pieces if piece.kind == kind)
        for kind in ("thinking", "answer")
    }
    assert shown == {"thinking": script.thinking, "answer": script.answer}
    order = [piece.kind for piece in pieces]
    assert [kind for i, kind in enumerate(order) if i == 0 or order[i - 1] != kind] == script.order


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.__name__)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.name)
def test_fed_in_pieces(script: Script, feed: Feed) -> None:
    for chunks in feed(script.raw):
        check(script, chunks)


def test_the_byte_scripts_really_hold_multi_byte_characters() -> None:
    multi_byte = [script for script in SCRIPTS if len(script.raw.encode()) > len(script.raw)]
    assert any(DEEPSEEK_END in script.raw for script in multi_byte)
    assert any("😀" in script.raw and "思" in script.raw for script in multi_byte)


class Stream:
    """A parser and what it has shown so far."""

    def __init__(
        self,
        fmt: ThinkingFormat = "tags",
        *,
        starts_in_thinking: bool = False,
        hidden_markers: Sequence[str] = (),
    ) -> None:
        self.parser = ReplyParser(
            fmt, starts_in_thinking=starts_in_thinking, hidden_markers=hidden_markers
        )
        self.shown = {"thinking": "", "answer": ""}

    def feed(self, text: str) -> dict[str, str]:
        self._show(self.parser.feed(text))
        return self.shown

    def finish(self) -> dict[str, str]:
        self._show(self.parser.finish())
        return self.shown

    def _show(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            self.shown[piece.kind] += piece.text


def test_text_shows_as_soon_as_no_tag_could_start() -> None:
    stream = Stream(hidden_markers=CONTROL_TOKENS)
    assert stream.feed("Hello wor")["answer"] == "Hello wor"
    assert stream.feed("ld, 1 < 2")["answer"] == "Hello world, 1 < 2"


def test_only_a_possible_tag_is_held_back_and_released_once_it_cannot_be_one() -> None:
    stream = Stream(hidden_markers=[CHATML_END])
    stream.feed("Hello")
    assert stream.feed(" <")["answer"] == "Hello "
    assert stream.feed("|im")["answer"] == "Hello "
    assert stream.feed("_start")["answer"] == "Hello <|im_start"
    assert stream.feed(" </thi")["answer"] == "Hello <|im_start "
    assert stream.feed("s>")["answer"] == "Hello <|im_start </this>"


def test_a_tag_arriving_one_character_at_a_time_never_shows() -> None:
    stream = Stream()
    for character in "<think>":
        assert stream.feed(character) == {"thinking": "", "answer": ""}
    assert stream.feed("Plan")["thinking"] == "Plan"
    for character in "</think>":
        assert stream.feed(character) == {"thinking": "Plan", "answer": ""}
    assert stream.feed("Go")["answer"] == "Go"


def test_thinking_streams_live_when_the_prompt_opened_it() -> None:
    stream = Stream(starts_in_thinking=True)
    assert stream.feed("Let me")["thinking"] == "Let me"
    assert stream.feed(" see.\n")["thinking"] == "Let me see."
    assert stream.feed("More.")["thinking"] == "Let me see.\nMore."


def test_harmony_thinking_and_answer_stream_live() -> None:
    stream = Stream("harmony", hidden_markers=CONTROL_TOKENS)
    assert stream.feed("<|channel|>analysis<|message|>Think")["thinking"] == "Think"
    assert stream.feed("ing.<|end|><|start|>assistant<|chan") == {
        "thinking": "Thinking.",
        "answer": "",
    }
    assert stream.feed("nel|>final<|message|>An")["answer"] == "An"
    assert stream.feed("swer<|return|>") == {"thinking": "Thinking.", "answer": "Answer"}


def test_harmony_tool_arguments_never_show() -> None:
    stream = Stream("harmony")
    stream.feed("<|channel|>commentary to=functions.search <|constrain|>json<|message|>")
    assert stream.feed('{"query": "cats"}') == {"thinking": "", "answer": ""}
    assert stream.finish() == {"thinking": "", "answer": ""}


def test_a_large_vocabulary_of_control_tokens_is_hidden() -> None:
    reserved = [f"<|reserved_special_token_{i}|>" for i in range(250)]
    stream = Stream(hidden_markers=reserved)
    stream.feed("One<|reserved_special_token_1|> two<|reserved_special_token_17|><|reserved")
    assert stream.finish()["answer"] == "One two<|reserved"


def test_a_long_reply_is_shown_whole() -> None:
    body = "Line of thought with a < sign and [brackets].\n" * 2000
    stream = Stream(starts_in_thinking=True, hidden_markers=CONTROL_TOKENS)
    for start in range(0, len(body), 7):
        stream.feed(body[start : start + 7])
    stream.feed("</think>\n\nDone.")
    assert stream.finish() == {"thinking": body.rstrip(), "answer": "Done."}


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        ReplyParser("xml")  # type: ignore[arg-type]
