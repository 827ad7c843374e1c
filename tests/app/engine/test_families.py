"""A model's chat-format family is recognised from its vocabulary and its template."""

from __future__ import annotations

import pytest

from app.engine.builtin_templates import builtin_template
from app.engine.families import (
    FAMILIES,
    FAMILY_MARKERS,
    TESTED_FAMILIES,
    Family,
    detect_family,
    end_markers,
    family_title,
    hidden_markers,
    thinking_format,
)

# The special tokens of each family's vocabulary, as a host finds them (abridged).
VOCABULARIES: dict[str, tuple[set[str], Family]] = {
    "Qwen2.5": ({"<|im_start|>", "<|im_end|>", "<|endoftext|>"}, "chatml"),
    "Llama 3.1": ({"<|begin_of_text|>", "<|start_header_id|>", "<|eot_id|>"}, "llama3"),
    "Hermes 3 (ChatML on Llama 3)": ({"<|start_header_id|>", "<|im_start|>"}, "chatml"),
    "Gemma 3": ({"<bos>", "<start_of_turn>", "<end_of_turn>"}, "gemma"),
    "Mistral v0.3": ({"<s>", "</s>", "[INST]", "[/INST]"}, "mistral"),
    "Phi-3.5": ({"<|user|>", "<|assistant|>", "<|end|>", "<|system|>"}, "phi3"),
    "Phi-4": ({"<|im_start|>", "<|im_sep|>", "<|im_end|>"}, "phi4"),
    "gpt-oss": ({"<|start|>", "<|end|>", "<|channel|>", "<|message|>", "<|return|>"}, "harmony"),
    "R1 distill of Qwen": ({"<｜User｜>", "<｜Assistant｜>", "<|im_start|>"}, "deepseek"),
    "R1 distill of Llama": ({"<｜User｜>", "<|start_header_id|>"}, "deepseek"),
    "Command-R": ({"<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>"}, "command-r"),
    "Granite 3.3": ({"<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>"}, "granite"),
}


@pytest.mark.parametrize("model", sorted(VOCABULARIES))
def test_the_family_is_recognised_from_the_vocabulary(model: str):
    tokens, family = VOCABULARIES[model]
    assert detect_family(tokens, None) == family


def test_an_unknown_vocabulary_has_no_family():
    assert detect_family({"<s>", "</s>", "<unk>"}, None) is None
    assert detect_family(set(), "") is None


def test_glm_style_role_tokens_without_an_end_token_are_not_phi3():
    assert detect_family({"<|user|>", "<|assistant|>", "<|system|>", "[gMASK]"}, None) is None


def test_the_template_decides_when_it_writes_a_familys_markers():
    # A Llama 3 vocabulary whose model was tuned to speak ChatML.
    chatml = (
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{% endfor %}"
    )
    assert detect_family({"<|start_header_id|>"}, chatml) == "chatml"
    # A Mistral template on a vocabulary where [INST] is plain text.
    mistral = "{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"
    assert detect_family({"<s>", "</s>"}, mistral) == "mistral"


def test_a_template_without_markers_leaves_it_to_the_vocabulary():
    generic = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}"
    assert detect_family({"<|user|>", "<|end|>"}, generic) == "phi3"


@pytest.mark.parametrize("family", FAMILIES)
def test_each_builtin_template_is_recognised_as_its_own_family(family: Family):
    assert detect_family(set(), builtin_template(family)) == family


def test_every_marker_detection_needs_is_probed():
    for model, (tokens, family) in VOCABULARIES.items():
        probed = {token for token in tokens if token in FAMILY_MARKERS}
        assert detect_family(probed, None) == family, model


def test_gpt_oss_replies_end_at_return_or_call_not_between_thinking_and_answer():
    assert set(end_markers("harmony")) == {"<|return|>", "<|call|>"}
    assert "<|end|>" in hidden_markers("harmony")
    assert "<|channel|>" in hidden_markers("harmony")


@pytest.mark.parametrize(
    ("family", "marker"),
    [
        ("chatml", "<|im_end|>"),
        ("llama3", "<|eot_id|>"),
        ("llama3", "<|eom_id|>"),
        ("gemma", "<end_of_turn>"),
        ("mistral", "</s>"),
        ("phi3", "<|end|>"),
        ("phi4", "<|im_end|>"),
        ("phi4", "<|endoftext|>"),
        ("deepseek", "<｜end▁of▁sentence｜>"),
        ("command-r", "<|END_OF_TURN_TOKEN|>"),
        ("granite", "<|end_of_text|>"),
    ],
)
def test_each_familys_end_of_turn_marker_ends_the_reply_and_is_hidden(family: Family, marker: str):
    assert marker in end_markers(family)
    assert marker in hidden_markers(family)


def test_with_no_family_nothing_ends_early_and_all_markup_is_hidden():
    assert end_markers(None) == ()
    hidden = hidden_markers(None)
    for family in FAMILIES:
        assert set(hidden_markers(family)) <= set(hidden)


def test_only_gpt_oss_thinks_in_harmony_channels():
    assert thinking_format("harmony") == "harmony"
    assert {thinking_format(family) for family in FAMILIES if family != "harmony"} == {"tags"}
    assert thinking_format(None) == "tags"


def test_every_family_is_tested_and_has_a_title():
    assert set(FAMILIES) == TESTED_FAMILIES
    assert family_title("gemma") == "Gemma"
    assert family_title(None) == "ChatML"
