"""Bradley–Terry ratings from arena votes, on Chatbot Arena's Elo-like scale.

Each vote is one game between two models. A win counts 1 for the winner; a tie (and
"both bad", which says neither was better) counts half a win to each side. The model
``P(i beats j) = p_i / (p_i + p_j)`` is fitted by Hunter's MM iteration, and a rating is
``1000 + 400 * log10(p_i)`` with the strengths scaled so their geometric mean is 1: a
model of average strength among those voted on scores 1000, and 400 points mean ten to
one odds.

A model that has won every game has no finite maximum-likelihood strength. To keep every
rating finite, each model also plays ``prior`` virtual games, half won and half lost,
against a fixed reference of strength 1 (a mild pull towards 1000 that fades as real
votes come). ``prior=0`` gives the plain fit, for data where every model won and lost.

Confidence intervals come from a bootstrap: the votes are resampled with replacement
``rounds`` times with a fixed seed, refitted, and the 2.5th and 97.5th percentiles of
each model's rating are reported, as Chatbot Arena does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[Outcome, ...] = ("a", "b", "tie", "both_bad")

BASE_RATING = 1000.0
SCALE = 400.0
DEFAULT_PRIOR = 1.0
DEFAULT_ROUNDS = 200
DEFAULT_SEED = 16
_MAX_ITERATIONS = 10_000
_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Game:
    """One vote as a game: the two models and how it went (``a``: ``model_a`` won)."""

    model_a: str
    model_b: str
    outcome: Outcome


@dataclass(frozen=True)
class ModelStanding:
    """One model's line on the leaderboard."""

    model: str
    rating: float
    ci_low: float
    ci_high: float
    games: int
    wins: int
    losses: int
    ties: int  # ties and "both bad" together

    @property
    def win_rate(self) -> float:
        """Wins over games, ties counting half (0 when it has no games)."""
        return (self.wins + 0.5 * self.ties) / self.games if self.games else 0.0


@dataclass(frozen=True)
class Leaderboard:
    """Standings, best first, and the win matrix: ``matrix[i][j]`` is the share of
    games between ``models[i]`` and ``models[j]`` that ``models[i]`` won, ties counting
    half (None where they never met)."""

    standings: tuple[ModelStanding, ...]
    models: tuple[str, ...]
    matrix: tuple[tuple[float | None, ...], ...]
    games: int


def _score(outcome: Outcome) -> float:
    """Model A's share of one game."""
    if outcome == "a":
        return 1.0
    if outcome == "b":
        return 0.0
    if outcome in ("tie", "both_bad"):
        return 0.5
    raise ValueError(f"unknown outcome {outcome!r}")


def fit_strengths(games: Sequence[Game], *, prior: float = DEFAULT_PRIOR) -> dict[str, float]:
    """The Bradley–Terry strength of every model that played, geometric mean 1.

    Raises ValueError when ``prior`` is 0 and some model won or lost every game (its
    strength would be infinite or zero).
    """
    if prior < 0:
        raise ValueError("the prior cannot be negative")
    models = sorted({g.model_a for g in games} | {g.model_b for g in games})
    if not models:
        return {}
    index = {name: i for i, name in enumerate(models)}
    count = len(models)
    wins = [0.0] * count  # each model's score, ties as halves
    pairs = [[0.0] * count for _ in range(count)]  # games between i and j
    for game in games:
        i, j = index[game.model_a], index[game.model_b]
        if i == j:
            continue  # a model against itself says nothing about its rating
        share = _score(game.outcome)
        wins[i] += share
        wins[j] += 1.0 - share
        pairs[i][j] += 1.0
        pairs[j][i] += 1.0
    if prior == 0:
        for i, name in enumerate(models):
            played = sum(pairs[i])
            if played and (wins[i] == 0 or wins[i] == played):
                raise ValueError(f"{name} won or lost every game: use a prior to rate it")
    strengths = [1.0] * count
    for _ in range(_MAX_ITERATIONS):
        updated = []
        for i in range(count):
            total_wins = wins[i] + prior / 2
            denominator = prior / (strengths[i] + 1.0)  # the reference has strength 1
            for j in range(count):
                if pairs[i][j]:
                    denominator += pairs[i][j] / (strengths[i] + strengths[j])
            updated.append(total_wins / denominator if denominator else strengths[i])
        updated = _normalised(updated) if prior == 0 else updated
        change = max(
            abs(math.log(u) - math.log(s)) for u, s in zip(updated, strengths, strict=True)
        )
        strengths = updated
        if change < _TOLERANCE:
            break
    strengths = _normalised(strengths)
    return dict(zip(models, strengths, strict=True))


def _normalised(strengths: list[float]) -> list[float]:
    mean_log = sum(math.log(s) for s in strengths) / len(strengths)
    return [s / math.exp(mean_log) for s in strengths]


def rating_of(strength: float) -> float:
    return BASE_RATING + SCALE * math.log10(strength)


def fit_ratings(games: Sequence[Game], *, prior: float = DEFAULT_PRIOR) -> dict[str, float]:
    """Every model's rating on the Elo-like scale (1000 the geometric mean)."""
    return {name: rating_of(p) for name, p in fit_strengths(games, prior=prior).items()}


def bootstrap_intervals(
    games: Sequence[Game],
    *,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = DEFAULT_SEED,
    prior: float = DEFAULT_PRIOR,
) -> dict[str, tuple[float, float]]:
    """The 95% interval of each model's rating, from ``rounds`` refits on votes drawn
    with replacement (the same seed gives the same intervals)."""
    fitted = fit_ratings(games, prior=prior)
    if not games or rounds <= 0:
        return {name: (rating, rating) for name, rating in fitted.items()}
    chooser = random.Random(seed)
    samples: dict[str, list[float]] = {name: [] for name in fitted}
    for _ in range(rounds):
        drawn = [games[chooser.randrange(len(games))] for _ in games]
        for name, rating in fit_ratings(drawn, prior=max(prior, 1e-6)).items():
            samples[name].append(rating)
    intervals = {}
    for name, values in samples.items():
        if not values:  # never drawn in any round (a single game among many)
            intervals[name] = (fitted[name], fitted[name])
            continue
        values.sort()
        intervals[name] = (_percentile(values, 2.5), _percentile(values, 97.5))
    return intervals


def _percentile(ordered: list[float], percent: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    position = percent / 100 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def win_matrix(games: Iterable[Game], models: Sequence[str]) -> list[list[float | None]]:
    """``result[i][j]``: the share of games between models i and j that i won (ties
    half), None where they never met."""
    index = {name: i for i, name in enumerate(models)}
    scored = [[0.0] * len(models) for _ in models]
    played = [[0] * len(models) for _ in models]
    for game in games:
        if game.model_a not in index or game.model_b not in index or game.model_a == game.model_b:
            continue
        i, j = index[game.model_a], index[game.model_b]
        share = _score(game.outcome)
        scored[i][j] += share
        scored[j][i] += 1.0 - share
        played[i][j] += 1
        played[j][i] += 1
    return [
        [scored[i][j] / played[i][j] if played[i][j] else None for j in range(len(models))]
        for i in range(len(models))
    ]


def leaderboard(
    games: Sequence[Game],
    *,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = DEFAULT_SEED,
    prior: float = DEFAULT_PRIOR,
) -> Leaderboard:
    """Ratings with their intervals, win/loss/tie counts and the win matrix, best first."""
    games = [g for g in games if g.model_a != g.model_b]
    ratings = fit_ratings(games, prior=prior)
    intervals = bootstrap_intervals(games, rounds=rounds, seed=seed, prior=prior)
    tally: dict[str, list[int]] = {name: [0, 0, 0] for name in ratings}
    for game in games:
        if game.outcome == "a":
            tally[game.model_a][0] += 1
            tally[game.model_b][1] += 1
        elif game.outcome == "b":
            tally[game.model_b][0] += 1
            tally[game.model_a][1] += 1
        else:
            tally[game.model_a][2] += 1
            tally[game.model_b][2] += 1
    standings = sorted(
        (
            ModelStanding(
                model=name,
                rating=rating,
                ci_low=intervals[name][0],
                ci_high=intervals[name][1],
                games=sum(tally[name]),
                wins=tally[name][0],
                losses=tally[name][1],
                ties=tally[name][2],
            )
            for name, rating in ratings.items()
        ),
        key=lambda s: (-s.rating, s.model),
    )
    order = tuple(s.model for s in standings)
    matrix = win_matrix(games, order)
    return Leaderboard(tuple(standings), order, tuple(tuple(row) for row in matrix), len(games))
