"""Hearth's own template for each family writes that family's exact prompt format."""

from __future__ import annotations

import pytest

from app.engine.builtin_templates import builtin_template
from app.engine.chat_template import ChatTemplate
from app.engine.families import FAMILIES, Family

CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "How are you?"},
]

BOS: dict[Family, str] = {
    "llama3": "<|begin_of_text|>",
    "gemma": "<bos>",
    "mistral": "<s>",
    "deepseek": "<｜begin▁of▁sentence｜>",
    "command-r": "<BOS_TOKEN>",
    "phi3": "<s>",
    "chatml": "<|endoftext|>",
}

EXPECTED: dict[Family, str] = {
    "chatml": (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nHow are you?<|im_end|>\n"
        "<|im_start|>assistant\n"
    ),
    "llama3": (
        "<|begin_of_text|>"
        "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    "gemma": (
        "<bos>"
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nHow are you?<end_of_turn>\n"
        "<start_of_turn>model\n"
    ),
    "mistral": "<s>[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST] How are you? [/INST]",
    "phi3": (
        "<|system|>\nBe brief.<|end|>\n"
        "<|user|>\nHi<|end|>\n"
        "<|assistant|>\nHello!<|end|>\n"
        "<|user|>\nHow are you?<|end|>\n"
        "<|assistant|>\n"
    ),
    "phi4": (
        "<|im_start|>system<|im_sep|>Be brief.<|im_end|>"
        "<|im_start|>user<|im_sep|>Hi<|im_end|>"
        "<|im_start|>assistant<|im_sep|>Hello!<|im_end|>"
        "<|im_start|>user<|im_sep|>How are you?<|im_end|>"
        "<|im_start|>assistant<|im_sep|>"
    ),
    "harmony": (
        "<|start|>system<|message|>Reasoning: medium\n\n"
        "# Valid channels: analysis, commentary, final."
        " Channel must be included for every message.<|end|>"
        "<|start|>developer<|message|># Instructions\n\nBe brief.<|end|>"
        "<|start|>user<|message|>Hi<|end|>"
        "<|start|>assistant<|channel|>final<|message|>Hello!<|end|>"
        "<|start|>user<|message|>How are you?<|end|>"
        "<|start|>assistant"
    ),
    "deepseek": (
        "<｜begin▁of▁sentence｜>Be brief."
        "<｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜>"
        "<｜User｜>How are you?<｜Assistant｜><think>\n"
    ),
    "command-r": (
        "<BOS_TOKEN>"
        "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>Be brief.<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hello!<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>How are you?<|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"
    ),
    "granite": (
        "<|start_of_role|>system<|end_of_role|>Be brief.<|end_of_text|>\n"
        "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
        "<|start_of_role|>assistant<|end_of_role|>Hello!<|end_of_text|>\n"
        "<|start_of_role|>user<|end_of_role|>How are you?<|end_of_text|>\n"
        "<|start_of_role|>assistant<|end_of_role|>"
    ),
}


def render(family: Family, messages: list[dict[str, str]], **kwargs: object) -> str:
    template = ChatTemplate(builtin_template(family), bos_token=BOS.get(family, ""))
    return template.render(messages, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_four_turn_chat_with_instructions_renders_exactly(family: Family):
    assert render(family, CHAT) == EXPECTED[family]


@pytest.mark.parametrize("family", FAMILIES)
def test_without_instructions_nothing_of_them_is_written(family: Family):
    text = render(family, CHAT[1:])
    assert "Be brief." not in text
    assert "How are you?" in text
    assert text != EXPECTED[family]


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "mistral"])
def test_the_generation_prompt_is_written_only_when_asked(family: Family):
    with_prompt = render(family, CHAT)
    without = render(family, CHAT, add_generation_prompt=False)
    assert with_prompt.startswith(without)
    assert len(with_prompt) > len(without)


def test_gemma_instructions_before_a_model_turn_get_a_user_turn_of_their_own():
    text = render("gemma", [CHAT[0], {"role": "assistant", "content": "Welcome!"}])
    assert text == (
        "<bos><start_of_turn>user\nBe brief.<end_of_turn>\n"
        "<start_of_turn>model\nWelcome!<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_mistral_instructions_alone_still_reach_the_model():
    assert render("mistral", [CHAT[0]]) == "<s>[INST] Be brief. [/INST]"


def test_harmony_writes_the_chosen_reasoning_effort():
    template = ChatTemplate(builtin_template("harmony"))
    text = template.render(CHAT[1:2], variables={"reasoning_effort": "high"})
    assert text.startswith("<|start|>system<|message|>Reasoning: high\n")
