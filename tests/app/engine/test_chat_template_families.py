"""Templates in the style of each model family render exactly as transformers would render them.

The templates are our own (tests/support/family_templates); the expected prompts below were
written by hand from the rules transformers applies (trim_blocks, lstrip_blocks, lenient
undefined, loopcontrols, {% generation %}, its tojson, raise_exception, strftime_now).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from app.engine.chat_template import ChatTemplate, ChatTemplateError
from tests.support import family_templates

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
WEATHER_JSON = (
    '{"type": "function", "function": {"name": "get_weather", "description": "Current weather'
    ' for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},'
    ' "required": ["city"]}}}'
)
CLOCK_TOOL = {"type": "function", "function": {"name": "now", "description": "The time"}}

WEATHER_CALL = {
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Zürich"}},
}
TOOL_CHAT = [
    {"role": "user", "content": "What's the weather in Zürich?"},
    {"role": "assistant", "content": "", "tool_calls": [WEATHER_CALL]},
    {"role": "tool", "content": "18°C & sunny"},
]
GREETING = [
    {"role": "system", "content": "Be kind."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Bye"},
]


def template(name: str, **tokens: str) -> ChatTemplate:
    return ChatTemplate(family_templates.load(name), **tokens)


def render_dated(fmt: str, render: Callable[[], str], expected: Callable[[str], str]) -> None:
    """Renders a template that writes today's date (strftime_now), across midnight too."""
    before = datetime.now().strftime(fmt)
    text = render()
    after = datetime.now().strftime(fmt)
    assert text in {expected(before), expected(after)}


# -- ChatML family


def test_qwen25_style_tools_tool_calls_and_tool_responses():
    text = template("qwen25_tools").render(TOOL_CHAT, tools=[WEATHER_TOOL])
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\n"
        "These functions are available, described inside <tools></tools>:\n<tools>\n"
        + WEATHER_JSON
        + "\n</tools>\n\n"
        'To call one, reply with <tool_call>{"name": ..., "arguments": {...}}</tool_call>.'
        "<|im_end|>\n"
        "<|im_start|>user\nWhat's the weather in Zürich?<|im_end|>\n"
        "<|im_start|>assistant\n<tool_call>\n"
        '{"name": "get_weather", "arguments": {"city": "Zürich"}}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\n<tool_response>\n18°C & sunny\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_qwen25_style_without_tools_adds_its_default_system_turn():
    text = template("qwen25_tools").render([{"role": "user", "content": "Hi"}])
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


QWEN3_CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "2+2?"},
    {"role": "assistant", "content": "<think>\nEasy sum.\n</think>\n\n4"},
    {"role": "user", "content": "And 3+3?"},
]
QWEN3_PROMPT = (
    "<|im_start|>system\nYou are terse.<|im_end|>\n"
    "<|im_start|>user\n2+2?<|im_end|>\n"
    "<|im_start|>assistant\n4<|im_end|>\n"
    "<|im_start|>user\nAnd 3+3?<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def test_qwen3_style_strips_earlier_thinking_and_thinks_by_default():
    qwen3 = template("qwen3_thinking")
    assert qwen3.render(QWEN3_CHAT) == QWEN3_PROMPT
    assert qwen3.render(QWEN3_CHAT, variables={"enable_thinking": True}) == QWEN3_PROMPT


def test_qwen3_style_enable_thinking_false_inserts_an_empty_think_block():
    text = template("qwen3_thinking").render(QWEN3_CHAT, variables={"enable_thinking": False})
    assert text == QWEN3_PROMPT + "<think>\n\n</think>\n\n"


def test_qwen3_style_reads_reasoning_content_of_the_turn_after_the_last_question():
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!", "reasoning_content": "\nThe user greets me.\n"},
    ]
    text = template("qwen3_thinking").render(chat, add_generation_prompt=False)
    assert text == (
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n<think>\nThe user greets me.\n</think>\n\nHello!<|im_end|>\n"
    )


def test_qwq_style_generation_prompt_opens_think():
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nHello!"},
        {"role": "user", "content": "Bye"},
    ]
    assert template("qwq_open_think").render(chat) == (
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nBye<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n"
    )


def smollm3_prompt(today: str, mode: str, instructions: str, chat: str, opening: str) -> str:
    return (
        f"<|im_start|>system\n## Metadata\n\nToday Date: {today}\nReasoning Mode: {mode}\n\n"
        f"## Custom Instructions\n\n{instructions}<|im_end|>\n{chat}<|im_start|>assistant\n"
        + opening
    )


def test_smollm3_style_generation_block_and_no_think_in_the_system_prompt():
    chat = [{"role": "system", "content": "You are kind. /no_think"}, *GREETING[1:]]
    turns = (
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nBye<|im_end|>\n"
    )
    render_dated(
        "%d %B %Y",
        lambda: template("smollm3_generation").render(chat),
        lambda today: smollm3_prompt(
            today, "/no_think", "You are kind.", turns, "<think>\n\n</think>\n"
        ),
    )


def test_smollm3_style_thinks_unless_enable_thinking_is_false():
    smollm3 = template("smollm3_generation")
    chat = [{"role": "user", "content": "Hi"}]
    turn = "<|im_start|>user\nHi<|im_end|>\n"
    render_dated(
        "%d %B %Y",
        lambda: smollm3.render(chat),
        lambda today: smollm3_prompt(today, "/think", "", turn, ""),
    )
    render_dated(
        "%d %B %Y",
        lambda: smollm3.render(chat, variables={"enable_thinking": False}),
        lambda today: smollm3_prompt(today, "/no_think", "", turn, "<think>\n\n</think>\n"),
    )


# -- other families


def test_deepseek_r1_style_folds_system_drops_thinking_and_opens_think():
    text = template("deepseek_r1_forced_think", bos_token="<｜begin▁of▁sentence｜>").render(
        [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "<think>\nGreeting.\n</think>\n\nHello!"},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert text == (
        "<｜begin▁of▁sentence｜>Be kind.<｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜>"
        "<｜User｜>Bye<｜Assistant｜><think>\n"
    )


def test_command_r7b_style_break_keeps_the_first_system_message_and_continue_skips_them():
    chat = [*GREETING[:3], {"role": "system", "content": "Later note."}, GREETING[3]]
    text = template("command_r7b_break", bos_token="<BOS_TOKEN>").render(chat, tools=[WEATHER_TOOL])
    assert text == (
        "<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>Be kind.\n\n## Available Tools\n"
        "- get_weather: Current weather for a city<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_RESPONSE|>Hello!<|END_RESPONSE|>"
        "<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Bye<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"
    )


def test_command_r7b_style_tool_calls_as_json_actions():
    text = template("command_r7b_break", bos_token="<BOS_TOKEN>").render(TOOL_CHAT)
    assert text == (
        "<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a helpful assistant."
        "<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>What's the weather in Zürich?<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_ACTION|>"
        '[{"name": "get_weather", "arguments": {"city": "Zürich"}}]'
        "<|END_ACTION|><|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|><|START_TOOL_RESULT|>18°C & sunny"
        "<|END_TOOL_RESULT|><|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"
    )


def test_glm_style_tojson_ensure_ascii_false_keeps_accents_and_markup_characters():
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Météo <ville> & 'pays'",
            "parameters": {"type": "object"},
        },
    }
    call = {"function": {"name": "get_weather", "arguments": {"unit": "°C", "city": "Zürich"}}}
    chat = [
        {"role": "user", "content": "Météo à Zürich ?"},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": " Need the tool. ",
            "tool_calls": [call],
        },
        {"role": "tool", "content": "<b>18°C</b> & 'sunny'"},
    ]
    text = template("glm_tojson").render(chat, tools=[tool], variables={"enable_thinking": False})
    assert text == (
        "[gMASK]<sop><|system|>\n# Tools\n\nCall these functions when they help:\n"
        '{"type": "function", "function": {"name": "get_weather",'
        ' "description": "Météo <ville> & \'pays\'", "parameters": {"type": "object"}}}\n'
        "<|user|>\nMétéo à Zürich ?"
        "<|assistant|>\n<think>Need the tool.</think>\n"
        '<tool_call>get_weather\n{"city": "Zürich", "unit": "°C"}\n</tool_call>'
        "<|observation|>\n<tool_response><b>18°C</b> & 'sunny'</tool_response>"
        "<|assistant|>\n<think></think>"
    )


def test_glm_style_plain_chat_without_reasoning():
    text = template("glm_tojson").render(GREETING)
    assert text == (
        "[gMASK]<sop><|system|>\nBe kind.<|user|>\nHi<|assistant|>\n<think></think>\nHello!"
        "<|user|>\nBye<|assistant|>"
    )


def test_gemma2_style_renders_alternating_turns():
    text = template("gemma2_no_system", bos_token="<bos>").render(
        [
            {"role": "user", "content": " Hi "},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert text == (
        "<bos><start_of_turn>user\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_gemma2_style_refuses_a_system_role_with_its_own_message():
    with pytest.raises(ChatTemplateError, match="System role not supported"):
        template("gemma2_no_system").render(GREETING)


def test_gemma2_style_refuses_two_user_turns_in_a_row():
    chat = [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hello?"}]
    with pytest.raises(ChatTemplateError, match="roles must alternate"):
        template("gemma2_no_system").render(chat)


def test_gemma3_style_folds_the_system_message_into_the_first_user_turn():
    text = template("gemma3", bos_token="<bos>").render(GREETING)
    assert text == (
        "<bos><start_of_turn>user\nBe kind.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def mistral() -> ChatTemplate:
    return template("mistral_alternation", bos_token="<s>", eos_token="</s>")


def test_mistral_style_puts_the_system_message_into_the_last_user_turn():
    assert mistral().render(GREETING) == (
        "<s>[INST] Hi[/INST] Hello!</s>[INST] Be kind.\n\nBye[/INST]"
    )


def test_mistral_style_lists_tools_before_the_last_user_turn():
    text = mistral().render([{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL])
    assert text == f"<s>[AVAILABLE_TOOLS] [{WEATHER_JSON}][/AVAILABLE_TOOLS][INST] Weather?[/INST]"


def test_mistral_style_tool_calls_and_results():
    assert mistral().render(TOOL_CHAT) == (
        "<s>[INST] What's the weather in Zürich?[/INST]"
        '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Zürich"}}]</s>'
        '[TOOL_RESULTS] {"content": "18°C & sunny"}[/TOOL_RESULTS]'
    )


def test_mistral_style_refuses_turns_that_do_not_alternate():
    chat = [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hello?"}]
    with pytest.raises(ChatTemplateError, match="roles must alternate"):
        mistral().render(chat)


def llama3() -> ChatTemplate:
    return template("llama3_dates_builtin_tools", bos_token="<|begin_of_text|>")


def test_llama3_style_dated_system_turn():
    text = llama3().render(GREETING[:2], variables={"date_string": "26 Jul 2024"})
    assert text == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
        "Be kind.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_llama3_style_builtin_tools_ipython_and_todays_date():
    chat = [
        {"role": "user", "content": "Search the news"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "brave_search", "arguments": {"query": "news"}}}],
        },
        {"role": "ipython", "content": "No results"},
    ]
    builtin = {"builtin_tools": ["brave_search", "wolfram_alpha", "code_interpreter"]}
    render_dated(
        "%d %b %Y",
        lambda: llama3().render(chat, variables=builtin),
        lambda today: (
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Environment: ipython\nTools: brave_search, wolfram_alpha\n\n"
            f"Cutting Knowledge Date: December 2023\nToday Date: {today}\n\n<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nSearch the news<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
            '<|python_tag|>brave_search.call(query="news")<|eom_id|>'
            "<|start_header_id|>ipython<|end_header_id|>\n\nNo results<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
    )


def test_llama3_style_custom_tools_as_indented_json():
    text = llama3().render(
        TOOL_CHAT, tools=[WEATHER_TOOL], variables={"date_string": "26 Jul 2024"}
    )
    assert text == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        "Environment: ipython\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
        'You may call these functions. Reply with JSON {"name": function name,'
        ' "parameters": arguments}.\n\n'
        "{\n"
        '    "type": "function",\n'
        '    "function": {\n'
        '        "name": "get_weather",\n'
        '        "description": "Current weather for a city",\n'
        '        "parameters": {\n'
        '            "type": "object",\n'
        '            "properties": {\n'
        '                "city": {\n'
        '                    "type": "string"\n'
        "                }\n"
        "            },\n"
        '            "required": [\n'
        '                "city"\n'
        "            ]\n"
        "        }\n"
        "    }\n"
        "}\n\n"
        "<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat's the weather in Zürich?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
        '{"name": "get_weather", "parameters": {"city": "Zürich"}}<|eot_id|>'
        "<|start_header_id|>ipython<|end_header_id|>\n\n18°C & sunny<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def harmony_system(today: str, effort: str, tools: str = "", functions: str = "") -> str:
    return (
        "<|start|>system<|message|>You are a capable assistant.\nKnowledge cutoff: 2024-06\n"
        f"Current date: {today}\n\nReasoning: {effort}\n\n{tools}"
        "# Valid channels: analysis, commentary, final. Every message must name its channel."
        f"{functions}<|end|>"
    )


def test_gpt_oss_style_harmony_channels_effort_and_tools():
    chat = [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Weather in Zürich?"},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "Need to call the tool.",
            "tool_calls": [WEATHER_CALL],
        },
        {"role": "tool", "content": "18°C & sunny"},
    ]
    options = {"reasoning_effort": "high", "builtin_tools": ["browser"]}
    render_dated(
        "%Y-%m-%d",
        lambda: template("gpt_oss_harmony").render(chat, tools=[WEATHER_TOOL], variables=options),
        lambda today: (
            harmony_system(
                today,
                "high",
                "# Tools\n\n## browser\n\n",
                "\nCalls to these tools must go to the commentary channel: 'functions'.",
            )
            + "<|start|>developer<|message|># Instructions\n\nAnswer in French.\n\n"
            "# Tools\n\nnamespace functions {\n// Current weather for a city\n"
            'type get_weather = (_: {"type": "object", "properties": {"city": {"type": "string"}},'
            ' "required": ["city"]}) => any;\n} // namespace functions<|end|>'
            "<|start|>user<|message|>Weather in Zürich?<|end|>"
            "<|start|>assistant<|channel|>analysis<|message|>Need to call the tool.<|end|>"
            "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>"
            '{"city": "Zürich"}<|call|>'
            "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>"
            "18°C & sunny<|end|>"
            "<|start|>assistant"
        ),
    )


def test_gpt_oss_style_drops_earlier_thinking_and_defaults_to_medium_effort():
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."},
        {"role": "user", "content": "Bye"},
    ]
    render_dated(
        "%Y-%m-%d",
        lambda: template("gpt_oss_harmony").render(chat),
        lambda today: (
            harmony_system(today, "medium") + "<|start|>user<|message|>Hi<|end|>"
            "<|start|>assistant<|channel|>final<|message|>Hello!<|end|>"
            "<|start|>user<|message|>Bye<|end|>"
            "<|start|>assistant"
        ),
    )


def test_gpt_oss_style_raise_exception_reaches_the_user():
    with pytest.raises(ChatTemplateError, match="Unknown message role: narrator"):
        template("gpt_oss_harmony").render([{"role": "narrator", "content": "Once"}])


def test_granite_style_date_and_tools_as_indented_json():
    chat = [{"role": "user", "content": "Hi"}]
    render_dated(
        "%B %d, %Y",
        lambda: template("granite_tojson_strftime").render(chat, tools=[CLOCK_TOOL]),
        lambda today: (
            "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024.\n"
            f"Today's Date: {today}.\nYou are Granite, a helpful assistant. You can call the"
            " tools listed under <|tool|>.<|end_of_text|>\n"
            "<|start_of_role|>tools<|end_of_role|>[\n"
            "    {\n"
            '        "type": "function",\n'
            '        "function": {\n'
            '            "name": "now",\n'
            '            "description": "The time"\n'
            "        }\n"
            "    }\n"
            "]<|end_of_text|>\n"
            "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
            "<|start_of_role|>assistant<|end_of_role|>"
        ),
    )


def test_phi4_style_im_sep():
    assert template("phi4").render(GREETING[:2]) == (
        "<|im_start|>system<|im_sep|>Be kind.<|im_end|>"
        "<|im_start|>user<|im_sep|>Hi<|im_end|>"
        "<|im_start|>assistant<|im_sep|>"
    )


def test_phi4_mini_style_tools_in_the_system_turn_and_eos_without_generation_prompt():
    chat = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Time?"}]
    text = template("phi4_mini_tools", eos_token="<|endoftext|>").render(
        chat, tools=[CLOCK_TOOL], add_generation_prompt=False
    )
    assert text == (
        '<|system|>Be kind.<|tool|>[{"type": "function", "function": {"name": "now",'
        ' "description": "The time"}}]<|/tool|><|end|><|user|>Time?<|end|><|endoftext|>'
    )


@pytest.mark.parametrize("name", family_templates.names())
def test_every_family_template_passes_validation(name: str):
    template(name).validate()


def test_the_family_templates_use_every_construct_real_templates_use():
    sources = "\n".join(family_templates.load(name) for name in family_templates.names())
    constructs = [
        "if tools", "message.tool_calls", "builtin_tools", "namespace(", "{%- break %}",
        "{%- continue %}", "{%- generation %}", "tojson(ensure_ascii=False", "tojson(indent=4)",
        "sort_keys=True", "strftime_now(", "raise_exception(", ".split(", ".strip(",
        "enable_thinking", "reasoning_effort", "reasoning_content", "<think>\\n' }}",
        "<|channel|>",
    ]  # fmt: skip
    missing = [construct for construct in constructs if construct not in sources]
    assert missing == []


def _names(template_name: str) -> dict[str, Any]:
    source = template(template_name)
    keys = ("tools", "enable_thinking", "reasoning_effort", "reasoning_content", "builtin_tools")
    return {key: source.reads(key) for key in keys}


def test_reads_tells_which_variables_and_fields_a_template_uses():
    assert _names("qwen3_thinking") == {
        "tools": False,
        "enable_thinking": True,
        "reasoning_effort": False,
        "reasoning_content": True,
        "builtin_tools": False,
    }
    assert _names("gpt_oss_harmony") == {
        "tools": True,
        "enable_thinking": False,
        "reasoning_effort": True,
        "reasoning_content": True,
        "builtin_tools": True,
    }
    assert _names("phi4") == dict.fromkeys(
        ("tools", "enable_thinking", "reasoning_effort", "reasoning_content", "builtin_tools"),
        False,
    )
