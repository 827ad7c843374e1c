"""Chat templates see what transformers gives them, and nothing that escapes the sandbox."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.engine.chat_template import (
    CHATML_TEMPLATE,
    ChatTemplate,
    ChatTemplateError,
    TemplateRefused,
)
from tests.support import family_templates

HELLO = [{"role": "user", "content": "hello"}]


def render(source: str, messages: Any = HELLO, **kwargs: Any) -> str:
    return ChatTemplate(source).render(messages, **kwargs)


def test_the_default_chatml_template():
    chat = [{"role": "system", "content": "Be kind."}, *HELLO]
    assert ChatTemplate(CHATML_TEMPLATE).render(chat) == (
        "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert (
        ChatTemplate(CHATML_TEMPLATE)
        .render(chat, add_generation_prompt=False)
        .endswith("hello<|im_end|>\n")
    )


def test_undefined_names_and_absent_fields_are_falsy_and_print_nothing():
    source = (
        "{% if tools_list %}T{% endif %}{% if builtin_tools %}B{% endif %}"
        "{% if messages[0].tool_calls %}C{% endif %}"
        "[{{ nothing }}{{ messages[0].reasoning_content }}{{ messages[0]['tool_calls'] }}]"
        "{{ 'defined' if enable_thinking is defined else 'undefined' }}"
        "{% if not messages[0].name %} nameless{% endif %}"
    )
    assert render(source) == "[]undefined nameless"


def test_tools_is_none_unless_given():
    source = (
        "{{ tools is none }} {{ tools is defined }}{% if tools %} {{ tools|length }}{% endif %}"
    )
    assert render(source) == "True True"
    assert render(source, tools=[{"type": "function"}, {"type": "function"}]) == "False True 2"


def test_variables_are_defined_only_when_given():
    source = "{{ enable_thinking is defined }}/{{ reasoning_effort | default('none') }}"
    assert render(source) == "False/none"
    assert render(source, variables={"enable_thinking": False, "reasoning_effort": "low"}) == (
        "True/low"
    )


def test_variables_cannot_replace_the_conversation():
    source = "{{ messages|length }} {{ add_generation_prompt }}"
    assert render(source, variables={"messages": [], "add_generation_prompt": "x"}) == "1 True"


def test_messages_are_passed_with_exactly_their_fields():
    source = (
        "{% for m in messages %}{{ m|length }}:{{ m.reasoning_content is defined }}"
        ":{{ m|dictsort|map('first')|join(',') }};{% endfor %}"
    )
    chat = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "reasoning_content": "greet"},
    ]
    assert render(source, chat) == ("2:False:content,role;3:True:content,reasoning_content,role;")


def test_bos_and_eos_tokens_and_add_generation_prompt():
    template = ChatTemplate(
        "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"
        "{% if add_generation_prompt %}>{% endif %}",
        bos_token="<s>",
        eos_token="</s>",
    )
    assert template.render(HELLO) == "<s>hello</s>>"
    assert template.render(HELLO, add_generation_prompt=False) == "<s>hello</s>"
    assert (template.bos_token, template.eos_token) == ("<s>", "</s>")


def test_break_and_continue():
    source = (
        "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}"
        "{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}"
    )
    assert render(source) == "0134"


def test_generation_block_renders_its_body_as_is():
    source = (
        "{% for m in messages %}<{{ m.role }}>"
        "{% generation %}{{ m.content }}{% if loop.last %}!{% endif %}{% endgeneration %}"
        "{% endfor %}"
    )
    chat = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    assert render(source, chat) == "<user>a<assistant>b!"


def test_trim_blocks_and_lstrip_blocks():
    source = "A\n    {% if true %}\nB\n    {% endif %}\nC"
    assert render(source) == "A\nB\nC"


TOJSON_VALUE = {"b": "<é>&'", "a": [1, 2]}


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("tojson", '{"b": "<é>&\'", "a": [1, 2]}'),
        ("tojson(ensure_ascii=False)", '{"b": "<é>&\'", "a": [1, 2]}'),
        ("tojson(ensure_ascii=True)", '{"b": "<\\u00e9>&\'", "a": [1, 2]}'),
        ("tojson(separators=(',', ':'), sort_keys=True)", '{"a":[1,2],"b":"<é>&\'"}'),
        ("tojson(indent=2)", '{\n  "b": "<é>&\'",\n  "a": [\n    1,\n    2\n  ]\n}'),
    ],
)
def test_tojson_takes_json_dumps_keywords_and_does_not_html_escape(call: str, expected: str):
    assert render("{{ value | " + call + " }}", variables={"value": TOJSON_VALUE}) == expected


def test_strftime_now_writes_the_current_date():
    before = datetime.now().strftime("%Y-%m-%d")
    text = render("{{ strftime_now('%Y-%m-%d') }}")
    assert text in {before, datetime.now().strftime("%Y-%m-%d")}


def test_raise_exception_reaches_the_user_as_a_chat_template_error():
    source = (
        "{% if messages[0].role == 'system' %}{{ raise_exception('No system role here') }}"
        "{% endif %}ok"
    )
    assert render(source) == "ok"
    with pytest.raises(ChatTemplateError, match="No system role here") as raised:
        render(source, [{"role": "system", "content": "x"}])
    assert not isinstance(raised.value, TemplateRefused)


def test_string_methods_templates_use():
    source = "{{ messages[0].content.split('</think>')[-1].strip() }}|{{ ' a '.lstrip() }}"
    assert render(source, [{"role": "assistant", "content": "<think>x</think>\n answer \n"}]) == (
        "answer|a "
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
        "{{ raise_exception.__globals__['os'] }}",
        "{{ strftime_now.__code__ }}",
        "{{ messages.append(1) }}",
        "{{ messages[0].update({'role': 'system'}) }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_reaching_python_internals_is_refused(source: str):
    with pytest.raises(TemplateRefused, match="refused"):
        render(source)
    with pytest.raises(TemplateRefused):
        ChatTemplate(source).validate()


def test_a_syntax_error_names_its_line():
    with pytest.raises(ChatTemplateError, match=r"syntax error \(line 2\)"):
        ChatTemplate("ok\n{% if %}")
    with pytest.raises(ChatTemplateError, match="syntax error"):
        ChatTemplate("{% endgeneration %}")


def test_a_failing_filter_is_a_chat_template_error():
    with pytest.raises(ChatTemplateError, match="failed"):
        render("{{ messages | tojson }}{{ undefined_thing.attribute }}")


def test_validate_accepts_templates_that_refuse_a_system_message():
    ChatTemplate(family_templates.load("gemma2_no_system")).validate()


def test_validate_rejects_a_template_that_fails_on_every_conversation():
    with pytest.raises(ChatTemplateError, match="always fails"):
        ChatTemplate("{{ raise_exception('always fails') }}").validate()


def test_reads_finds_variables_attributes_subscripts_and_membership_tests():
    template = ChatTemplate(
        "{% if enable_thinking %}{% endif %}{{ m.reasoning_content }}{{ m['tool_calls'] }}"
        "{% if 'documents' in m %}{% endif %}{{ m.get('thinking') }}"
        "Text that mentions reasoning_effort is not a read."
    )
    for name in ("enable_thinking", "reasoning_content", "tool_calls", "documents", "thinking"):
        assert template.reads(name), name
    assert not template.reads("reasoning_effort")
    assert not template.reads("tools")


def test_the_previous_trace_function_is_restored_after_a_render():
    def tracer(frame: Any, event: str, arg: Any) -> None:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        render(CHATML_TEMPLATE)
        with pytest.raises(ChatTemplateError):
            render("{{ raise_exception('no') }}")
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


# -- the same text as transformers' environment, built here from plain Jinja


class _GenerationTag(jinja2.ext.Extension):
    tags = {"generation"}  # noqa: RUF012

    def parse(self, parser: Any) -> Any:
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def _reference_render(source: str, **context: Any) -> str:
    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTag, jinja2.ext.loopcontrols],
    )

    def tojson(value: Any, ensure_ascii: bool = False, indent: Any = None, **kwargs: Any) -> str:
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, **kwargs)

    environment.filters["tojson"] = tojson
    environment.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    environment.globals["raise_exception"] = lambda message: None
    return environment.from_string(source).render(**context)


CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi <there> & 'you'"},
        {"role": "assistant", "content": "<think>\nok\n</think>\n\nHello!"},
        {"role": "user", "content": "Bye"},
    ],
]


@pytest.mark.parametrize("name", family_templates.names())
@pytest.mark.parametrize("conversation", CONVERSATIONS)
def test_family_templates_render_as_plain_jinja_configured_like_transformers(
    name: str, conversation: list[dict[str, str]]
):
    source = family_templates.load(name)
    ours = ChatTemplate(source, bos_token="<s>", eos_token="</s>")
    for generation_prompt in (True, False):
        try:
            text = ours.render(conversation, add_generation_prompt=generation_prompt)
        except ChatTemplateError:
            continue  # templates that refuse a system role; their refusal is tested elsewhere
        expected = _reference_render(
            source,
            messages=conversation,
            add_generation_prompt=generation_prompt,
            bos_token="<s>",
            eos_token="</s>",
            tools=None,
        )
        assert text == expected
