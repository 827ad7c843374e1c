"""The ratings maths against cases worked by hand: wins, ties, a model that always wins."""

from __future__ import annotations

import math

import pytest

from app.arena.ratings import (
    Game,
    bootstrap_intervals,
    fit_ratings,
    leaderboard,
    win_matrix,
)


def _games(a: str, b: str, outcome: str, times: int) -> list[Game]:
    return [Game(a, b, outcome)] * times  # type: ignore[arg-type]


def test_three_wins_to_one_is_odds_of_three() -> None:
    # p_A / p_B = 3 (the MLE of wins over losses); geometric mean 1 puts them at 1000 ± d/2.
    ratings = fit_ratings(_games("A", "B", "a", 3) + _games("A", "B", "b", 1), prior=0)
    gap = 400 * math.log10(3)  # 190.85 points
    assert ratings["A"] == pytest.approx(1000 + gap / 2, abs=1e-6)
    assert ratings["B"] == pytest.approx(1000 - gap / 2, abs=1e-6)


def test_a_tie_is_half_a_win_each() -> None:
    # One win and two ties: A scores 2, B scores 1, so p_A / p_B = 2 (120.41 points).
    games = _games("A", "B", "a", 1) + _games("A", "B", "tie", 2)
    ratings = fit_ratings(games, prior=0)
    assert ratings["A"] - ratings["B"] == pytest.approx(400 * math.log10(2), abs=1e-6)
    # "Both bad" says neither was better: it counts as a tie.
    both_bad = _games("A", "B", "a", 1) + _games("A", "B", "both_bad", 2)
    assert fit_ratings(both_bad, prior=0) == pytest.approx(ratings)


def test_only_ties_and_a_cycle_leave_everyone_level() -> None:
    assert fit_ratings(_games("A", "B", "tie", 4), prior=0) == pytest.approx(
        {"A": 1000.0, "B": 1000.0}
    )
    cycle = [Game("A", "B", "a"), Game("B", "C", "a"), Game("C", "A", "a")]
    assert fit_ratings(cycle, prior=0) == pytest.approx({"A": 1000.0, "B": 1000.0, "C": 1000.0})


def test_the_side_does_not_matter() -> None:
    left = fit_ratings(_games("A", "B", "a", 3) + _games("A", "B", "b", 1), prior=0)
    right = fit_ratings(_games("B", "A", "b", 3) + _games("B", "A", "a", 1), prior=0)
    assert left == pytest.approx(right)


def test_a_model_that_always_wins_stays_finite_with_the_prior() -> None:
    # Worked by hand: A beat B once; each also drew one virtual game against a reference of
    # strength 1. By symmetry p_B = 1/p_A, and A's score 1.5 = a²/(a²+1) + a/(a+1), whose
    # root is a = 2.13040 (bisection on paper), so A = 1000 + 400·log10(a) = 1131.38.
    ratings = fit_ratings([Game("A", "B", "a")])
    assert ratings["A"] == pytest.approx(1131.384, abs=0.01)
    assert ratings["B"] == pytest.approx(868.616, abs=0.01)
    # Fifty straight wins: further apart, still finite.
    many = fit_ratings(_games("A", "B", "a", 50))
    assert math.isfinite(many["A"]) and math.isfinite(many["B"])
    assert many["A"] - many["B"] > ratings["A"] - ratings["B"]
    # Without a prior the plain fit has no answer, and says so.
    with pytest.raises(ValueError, match="won or lost every game"):
        fit_ratings(_games("A", "B", "a", 2), prior=0)


def test_the_bootstrap_interval_holds_the_rating_and_repeats_with_its_seed() -> None:
    games = (
        _games("A", "B", "a", 6)
        + _games("A", "B", "b", 2)
        + _games("B", "C", "a", 5)
        + _games("B", "C", "tie", 2)
        + _games("A", "C", "a", 3)
    )
    ratings = fit_ratings(games)
    first = bootstrap_intervals(games, rounds=100, seed=7)
    assert first == bootstrap_intervals(games, rounds=100, seed=7)
    for name, (low, high) in first.items():
        assert low <= ratings[name] <= high
        assert high - low > 0
    # More votes, narrower intervals.
    wider = first["A"][1] - first["A"][0]
    more = bootstrap_intervals(games * 8, rounds=100, seed=7)
    assert more["A"][1] - more["A"][0] < wider


def test_leaderboard_counts_win_rates_and_the_win_matrix() -> None:
    games = _games("A", "B", "a", 3) + _games("A", "B", "tie", 1) + _games("B", "C", "a", 2)
    board = leaderboard(games, rounds=50)
    assert [s.model for s in board.standings] == ["A", "B", "C"]
    a, b, c = board.standings
    assert (a.wins, a.losses, a.ties, a.games) == (3, 0, 1, 4)
    assert (b.wins, b.losses, b.ties, b.games) == (2, 3, 1, 6)
    assert a.win_rate == pytest.approx(3.5 / 4)
    assert c.win_rate == 0.0
    assert board.games == 6
    # Row A against column B: 3 wins and a tie in 4 games.
    assert board.matrix[0][1] == pytest.approx(0.875)
    assert board.matrix[1][0] == pytest.approx(0.125)
    assert board.matrix[0][2] is None  # A and C never met
    assert win_matrix(games, ["C", "B"]) == [[None, 0.0], [1.0, None]]


def test_no_votes_gives_an_empty_board() -> None:
    board = leaderboard([])
    assert board.standings == () and board.games == 0
