"""The marker scanner: markers found whole however the text is cut, nothing else held."""

from __future__ import annotations

from app.engine.marker_scanner import MarkerScanner, Segment


def scan(markers: list[str], chunks: list[str]) -> list[Segment]:
    scanner = MarkerScanner(markers)
    segments = [segment for chunk in chunks for segment in scanner.feed(chunk)]
    return segments + scanner.finish()


def test_a_marker_cut_anywhere_is_found_whole() -> None:
    text = "a<|end|>b"
    for cut in range(len(text) + 1):
        segments = scan(["<|end|>"], [text[:cut], text[cut:]])
        assert [s for s in segments if s.is_marker] == [Segment("<|end|>", True)]
        assert "".join(s.text for s in segments if not s.is_marker) == "ab"


def test_a_marker_that_may_still_grow_into_a_longer_one_waits() -> None:
    scanner = MarkerScanner(["<a>", "<a>bc"])
    assert scanner.feed("x<a>") == [Segment("x", False)]
    assert scanner.feed("b") == []
    assert scanner.feed("c!") == [Segment("<a>bc", True), Segment("!", False)]
    scanner = MarkerScanner(["<a>", "<a>bc"])
    scanner.feed("<a>b")
    assert scanner.feed("d") == [Segment("<a>", True), Segment("bd", False)]


def test_only_the_tail_that_could_begin_a_marker_is_held() -> None:
    scanner = MarkerScanner(["<|x|>"])
    assert scanner.feed("1 <<|") == [Segment("1 <", False)]
    assert scanner.feed("y") == [Segment("<|y", False)]
    assert scanner.feed("<") == []
    assert scanner.finish() == [Segment("<", False)]


def test_blank_markers_are_ignored() -> None:
    assert scan(["", " ", "\n"], ["a \n", "b"]) == [Segment("a \n", False), Segment("b", False)]


def test_a_marker_inside_a_longer_one_waits_until_the_longer_one_is_known() -> None:
    markers = ["Action: ```json", "```"]
    for cut in range(1, len("Action: ```json")):
        text = "Go. Action: ```json[1]```"
        segments = scan(markers, [text[: cut + 4], text[cut + 4 :]])
        assert [s.text for s in segments if s.is_marker] == ["Action: ```json", "```"]
    scanner = MarkerScanner(markers)
    assert scanner.feed("Action: ```") == []
    assert scanner.feed("py") == [
        Segment("Action: ", False),
        Segment("```", True),
        Segment("py", False),
    ]
