from app.engine.stop_strings import StopStringFilter


def feed_all(stops, pieces):
    stream = StopStringFilter(stops)
    shown = []
    for piece in pieces:
        text, stopped = stream.feed(piece)
        shown.append(text)
        if stopped:
            return "".join(shown), True
    return "".join(shown) + stream.flush(), False


def test_a_stop_string_split_across_pieces_is_never_shown():
    assert feed_all(["</end>"], ["Hello </", "en", "d> more"]) == ("Hello ", True)


def test_text_that_only_looks_like_a_stop_string_is_shown_in_the_end():
    assert feed_all(["</end>"], ["a </e", "xtra"]) == ("a </extra", False)
    assert feed_all(["</end>"], ["tail </en"]) == ("tail </en", False)


def test_the_earliest_of_several_stop_strings_wins():
    assert feed_all(["STOP", "##"], ["one ## two STOP"]) == ("one ", True)


def test_without_stop_strings_text_passes_straight_through():
    stream = StopStringFilter([])
    assert stream.feed("abc") == ("abc", False)
