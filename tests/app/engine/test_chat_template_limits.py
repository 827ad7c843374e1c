"""A chat template that runs too long or builds too much is stopped within 2 s, with a clear
message; an ordinary template on a long conversation is not."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.engine.chat_template import (
    CHATML_TEMPLATE,
    ChatTemplate,
    ChatTemplateError,
    TemplateTooCostly,
)
from tests.support import family_templates

HELLO = [{"role": "user", "content": "hello"}]
#: The promise is "within 2 s"; the margin is for a busy test machine.
PROMISE_S = 2.5


@contextmanager
def stopped_in_time() -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < PROMISE_S


COSTLY_TEMPLATES = {
    "nested loops writing nothing": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "ran for more than",
    ),
    "loops writing huge output": (
        "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}",
        "wrote more than",
    ),
    "loops writing constant text": (
        "{% for i in range(100000) %}{% for j in range(100000) %}"
        "0123456789012345678901234567890123456789{% endfor %}{% endfor %}",
        "ran for more than|wrote more than",
    ),
    "a macro buffering huge output": (
        "{% macro m() %}{% for i in range(100000) %}{{ 'y' * 10000 }}{% endfor %}{% endmacro %}"
        "{{ m() }}",
        "wrote more than",
    ),
    "string multiplication": ("{{ 'x' * 10**10 }}", "tried to build a text"),
    "list multiplication": ("{{ ([1] * 100000) * 100000 }}", "tried to build"),
    "a huge power": ("{% set n = 7 ** 99999999 %}", "number of about"),
    "repeated squaring": (
        "{% set ns = namespace(x=10**1000) %}{% for i in range(40) %}"
        "{% set ns.x = ns.x * ns.x %}{% endfor %}",
        "number of about",
    ),
    "doubling with ~": (
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "tried to build a text",
    ),
    "doubling with +": (
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(64) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "tried to build a text",
    ),
    "deep recursion": (
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "nests too deeply",
    ),
    "exponential recursion": (
        "{% macro f(n) %}{% if n < 60 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}"
        "{{ f(0) }}",
        "ran for more than",
    ),
    "a wide field with %": ("{{ '%10000000000d' % 1 }}", "field 10000000000 characters wide"),
    "a wide field with *": ("{{ '%*d' % (10000000000, 1) }}", "characters wide"),
    "a wide field with format": ("{{ '{:>10000000000}'.format(1) }}", "characters wide"),
    "ljust": ("{{ 'x'.ljust(10**10) }}", "tried to build a text"),
    "center filter": ("{{ 'x' | center(10**10) }}", "tried to build a text"),
    "indent filter": ("{{ 'a\nb' | indent(10**10) }}", "tried to build a text"),
    "replace": ("{% set x = 'x' * 100000 %}{{ x.replace('', x) }}", "tried to build a text"),
    "slice filter": ("{{ [1] | slice(10**9) | list | length }}", "tried to build a list"),
    "printing shared references": (
        "{% set x = range(100000) | list %}"
        "{% set y = range(100000) | map('attr', 'nope') | map('default', x) | list %}{{ y }}",
        "ran for more than|tried to build",
    ),
    "joining shared references": (
        "{% set x = 'x' * 1000000 %}"
        "{{ range(100000) | map('attr', 'nope') | map('default', x) | join }}",
        "ran for more than|tried to build",
    ),
    "lorem ipsum": ("{{ lipsum(10**8) }}", "lorem ipsum"),
}


@pytest.mark.parametrize(
    ("source", "reason"), COSTLY_TEMPLATES.values(), ids=list(COSTLY_TEMPLATES)
)
def test_a_costly_template_is_stopped_within_two_seconds(source: str, reason: str):
    with stopped_in_time(), pytest.raises(TemplateTooCostly, match=reason) as stopped:
        ChatTemplate(source).render(HELLO)
    assert str(stopped.value).startswith("the chat template ")
    assert isinstance(stopped.value, ChatTemplateError)


def test_validate_reports_a_costly_template_at_load():
    with stopped_in_time(), pytest.raises(TemplateTooCostly):
        ChatTemplate(COSTLY_TEMPLATES["nested loops writing nothing"][0]).validate()


def test_a_costly_constant_is_refused_when_the_template_is_compiled():
    # Jinja folds constant expressions while compiling; that work is bounded too.
    with stopped_in_time(), pytest.raises(TemplateTooCostly, match="tried to build a text"):
        ChatTemplate("{{ 'x' | center(10000000000) }}")


def test_a_long_conversation_with_a_realistic_template_renders_well_within_the_limit():
    chat = [
        {"role": "user" if turn % 2 == 0 else "assistant", "content": f"Turn {turn}. " * 40}
        for turn in range(200)
    ]
    template = ChatTemplate(family_templates.load("qwen3_thinking"))
    started = time.monotonic()
    text = template.render(chat)
    assert time.monotonic() - started < 1.5
    assert text.count("<|im_start|>") == 201
    assert text.endswith("Turn 199. <|im_end|>\n<|im_start|>assistant\n")


def test_a_huge_message_is_not_too_much():
    # Limits grow with the conversation: 20 M characters pasted by the user still render.
    huge = "a" * 20_000_000
    text = ChatTemplate(CHATML_TEMPLATE).render([{"role": "user", "content": huge}])
    assert len(text) == len(huge) + len("<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n")


def test_the_template_still_works_after_being_stopped():
    template = ChatTemplate(
        "{% if messages[0].content == 'loop' %}"
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        "{% endif %}{{ messages[0].content }}"
    )
    with stopped_in_time(), pytest.raises(TemplateTooCostly):
        template.render([{"role": "user", "content": "loop"}])
    assert template.render(HELLO) == "hello"
