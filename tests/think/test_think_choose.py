"""Choosing among candidates: numbers and short answers normalised, majorities, the judge."""

from __future__ import annotations

from app.think.choose import (
    answer_key,
    answer_matching,
    judge_messages,
    majority,
    number_key,
    read_judgement,
)
from app.think.longer import temperatures


def test_numbers_are_compared_as_numbers() -> None:
    assert number_key("It costs $1,200.") == "1200"
    assert number_key("1200.0 metres") == "1200"
    assert number_key("first 3, then 4.50") == "4.5"
    assert number_key("-0.25") == "-0.25"
    assert number_key("no digits") is None
    assert number_key("6 times 7 is 42", frozenset({"6", "7"})) == "42"
    assert number_key("6 times 7", frozenset({"6", "7"})) is None


def test_an_answer_that_only_repeats_the_question_has_no_say() -> None:
    question = "What is 6 times 7?"
    assert majority(["6 times 7", "To find 6 times 7 we multiply.", "42"], question).chosen is None
    assert majority(["6 x 7 = 42", "It is 42.", "6 times 7"], question).chosen == 0


def test_short_answers_are_compared_without_case_or_punctuation() -> None:
    assert answer_key("The answer is: Paris.") == answer_key("paris")
    assert answer_key(" ".join(["word"] * 40)) is None  # long, no number: not votable


def test_a_clear_majority_wins_and_a_split_does_not() -> None:
    verdict = majority(["The total is 12 apples.", "12", "I think 13"])
    assert verdict.chosen == 0
    assert "2 of 3" in verdict.reason and "12" in verdict.reason
    assert majority(["12", "13"]).chosen is None  # one each
    assert majority(["12", "13", "14"]).chosen is None
    assert majority(["12", "12", "13", "13"]).chosen is None  # tied at the top
    assert majority(["12"]).chosen is None


def test_the_judges_reply_is_read_leniently() -> None:
    assert read_judgement("Best: 2\nReason: it shows the working.", 3).chosen == 1
    assert read_judgement("Best: 2\nReason: it shows the working.", 3).reason == (
        "it shows the working."
    )
    assert read_judgement("best candidate #3 - clearer", 3).chosen == 2
    assert read_judgement("1.\nIt is right.", 2).chosen == 0
    assert read_judgement("Best: 7", 3).chosen is None  # no such candidate
    assert read_judgement("They are all fine.", 3).chosen is None


def test_the_judging_prompt_lists_every_candidate() -> None:
    prompt = judge_messages("What is 2+2?", ["4", "five", "x" * 5000])[0]["content"]
    assert "Candidate 1:\n4" in prompt and "Candidate 3:" in prompt
    assert "Best: <candidate number>" in prompt
    assert len(prompt) < 2500  # a long candidate is cut


def test_temperatures_start_at_the_models_and_spread() -> None:
    assert temperatures(0.7, 1) == [0.7]
    spread = temperatures(0.7, 5)
    assert spread[0] == 0.7 and len(set(spread)) == 5
    assert min(spread) >= 0.1 and max(spread) <= 1.2
    assert temperatures(0.1, 3)[1] == 0.1


def test_a_judge_that_answers_instead_of_naming_picks_the_agreeing_candidate() -> None:
    answers = ["6 times 7 is 36", "The product is 42.", "6 times 7"]
    assert answer_matching("The best answer is 6x7 = 42.", answers, "What is 6 times 7?") == 1
    assert answer_matching("The best answer is 50.", answers, "What is 6 times 7?") is None
