"""Naming rules for GGUF files: quantization labels, split parts, projectors, grouping."""

from __future__ import annotations

import pytest

from app.hub.files import RemoteFile, group_gguf_files, is_mmproj, parse_quant, split_part


@pytest.mark.parametrize(
    ("path", "quant"),
    [
        ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("qwen2.5-7b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("Mistral-7B-Instruct-v0.3.Q8_0.gguf", "Q8_0"),
        ("gemma-2-2b-it-IQ2_XS.gguf", "IQ2_XS"),
        ("Llama-3.3-70B-Instruct-IQ2_XXS.gguf", "IQ2_XXS"),
        ("phi-4-Q4_0_4_8.gguf", "Q4_0_4_8"),
        ("SmolLM2-135M-Instruct-F16.gguf", "F16"),
        ("Qwen3-4B-BF16.gguf", "BF16"),
        ("ggml-model-f32.gguf", "F32"),
        ("DeepSeek-R1-UD-Q2_K_XL-00001-of-00005.gguf", "UD-Q2_K_XL"),
        ("Q4_K_M/Llama-3.3-70B-Instruct-00001-of-00002.gguf", "Q4_K_M"),
        ("Qwen2.5-Coder-7B-Instruct-Q6_K_L.gguf", "Q6_K_L"),
        ("BitNet-b1.58-2B-TQ1_0.gguf", "TQ1_0"),
        ("gpt-oss-20b-MXFP4.gguf", "MXFP4"),
        ("QwQ-32B-Q5_K_S.gguf", "Q5_K_S"),
        ("model-Q4_K_M_imatrix.gguf", "Q4_K_M"),
        ("QwQ-32B.gguf", None),
        ("Qwen2.5-7B-Instruct.gguf", None),
    ],
)
def test_quantization_is_read_from_the_file_name(path: str, quant: str | None) -> None:
    assert parse_quant(path) == quant


def test_split_part_names_give_the_model_name_index_and_count() -> None:
    assert split_part("big/model-Q2_K-00002-of-00003.gguf") == ("big/model-Q2_K.gguf", 2, 3)
    assert split_part("model-Q2_K.gguf") is None
    assert split_part("model-00004-of-00003.gguf") is None  # not a real part


def test_projector_files_are_recognised() -> None:
    assert is_mmproj("mmproj-model-f16.gguf")
    assert is_mmproj("vision/Qwen2.5-VL-7B-mmproj-F16.gguf")
    assert not is_mmproj("mmproj/model-Q4_K_M.gguf")  # a folder name is not the file
    assert not is_mmproj("Llama-3-8B-Q4_K_M.gguf")


def test_grouping_joins_split_parts_marks_projectors_and_drops_other_files() -> None:
    files = [
        RemoteFile("README.md", 100, None, "a" * 40),
        RemoteFile("m-Q4_K_M-00002-of-00002.gguf", 700, "2" * 64),
        RemoteFile("mmproj-m-f16.gguf", 50, "3" * 64),
        RemoteFile("m-Q8_0.gguf", 900, "4" * 64),
        RemoteFile("m-Q4_K_M-00001-of-00002.gguf", 600, "1" * 64),
        RemoteFile("m-IQ1_S.gguf", 100, "5" * 64),
    ]
    groups = group_gguf_files("o/r", files)

    assert [g.name for g in groups] == [
        "m-IQ1_S.gguf",
        "m-Q8_0.gguf",
        "m-Q4_K_M.gguf",
        "mmproj-m-f16.gguf",
    ]
    split = groups[2]
    assert split.is_split and split.is_complete and split.quant == "Q4_K_M"
    assert [p.path for p in split.parts] == [
        "m-Q4_K_M-00001-of-00002.gguf",
        "m-Q4_K_M-00002-of-00002.gguf",
    ]
    assert split.total_size == 1300
    assert split.first_part.path == "m-Q4_K_M-00001-of-00002.gguf"
    assert groups[3].is_mmproj and groups[3].quant == "F16"
    assert not any(g.is_mmproj for g in groups[:3])


def test_a_split_model_with_missing_parts_is_marked_incomplete() -> None:
    files = [RemoteFile("m-00001-of-00003.gguf", 1, "1" * 64)]
    (group,) = group_gguf_files("o/r", files)
    assert group.is_split and not group.is_complete and group.expected_parts == 3
