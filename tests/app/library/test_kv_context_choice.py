"""The context a model loads with, and its KV cache's type in the fit estimate.

A Llama-3.1-8B-shaped model (trained for 131,072 tokens) on recorded machines: Hearth
loads 8,192 tokens and says so; on a machine short of memory it loads fewer; a context
the user set is kept. A q8_0 cache takes about 0.53x the f16 cache, q4_0 about 0.28x.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.hardware import MachineInfo, load_machine
from app.hardware.units import GIB, MIB
from app.library.context_choice import choose_context
from app.library.fit import FitVerdict, ModelShape, estimate_fit, with_headroom
from app.library.gguf_header import read_gguf_header

MACHINES = Path(__file__).parents[1] / "hardware" / "machines"
LLAMA_31_8B = ModelShape(
    n_layers=32,
    n_embd=4096,
    n_head=32,
    n_head_kv=8,
    n_vocab=128_256,
    weights_bytes=int(4.6 * GIB),
    context_length_trained=131_072,
    n_ff=14_336,
    name="8B Q4_K_M",
)


def laptop() -> MachineInfo:
    return load_machine(MACHINES / "laptop_cpu_only_16gb.json")


def test_a_long_context_model_loads_8k_and_says_what_it_could_take() -> None:
    choice = choose_context(LLAMA_31_8B, laptop())
    assert choice.n_ctx == 8192
    assert choice.words() == (
        "Context: 8,192 tokens (chosen for this machine; the model can take 131,072)"
    )


def test_short_of_memory_the_context_is_cut_until_the_model_fits() -> None:
    # Just enough memory for 4,096 tokens with an f16 cache.
    at_4k = estimate_fit(LLAMA_31_8B, laptop(), 4096).cpu_bytes
    tight = replace(laptop(), available_ram=with_headroom(at_4k))
    choice = choose_context(LLAMA_31_8B, tight)
    assert choice.n_ctx == 4096
    assert "to fit this machine's memory" in choice.words()
    # A quantized cache leaves room for more context on the same machine.
    assert choose_context(LLAMA_31_8B, tight, kv_type="q4_0").n_ctx > choice.n_ctx


def test_with_a_gpu_a_shorter_context_keeps_every_layer_on_it() -> None:
    gaming = load_machine(MACHINES / "gaming_rtx3070_8gb_ram32gb.json")
    # The GPU has just enough free memory for the whole model at 4,096 tokens.
    at_4k = estimate_fit(LLAMA_31_8B, gaming, 4096).gpu_bytes
    gpu = gaming.gpus[0]
    rtx3070 = replace(gaming, gpus=(replace(gpu, free_vram=with_headroom(at_4k)),))
    assert estimate_fit(LLAMA_31_8B, rtx3070, 8192).verdict is FitVerdict.PARTIAL_GPU
    choice = choose_context(LLAMA_31_8B, rtx3070)
    assert choice.n_ctx == 4096
    assert estimate_fit(LLAMA_31_8B, rtx3070, 4096).verdict is FitVerdict.FITS_GPU
    assert "(chosen to keep every layer on the GPU; the model can take 131,072)" in choice.words()
    # With a q4_0 cache the longer context fits the GPU whole.
    assert choose_context(LLAMA_31_8B, rtx3070, kv_type="q4_0").n_ctx == 8192


def test_where_no_context_fits_the_default_is_kept_for_the_preflight_to_refuse() -> None:
    starved = replace(laptop(), available_ram=300 * MIB)
    assert choose_context(LLAMA_31_8B, starved).n_ctx == 8192


def test_a_context_the_user_set_is_kept() -> None:
    choice = choose_context(LLAMA_31_8B, laptop(), 32_768)
    assert choice.n_ctx == 32_768
    assert choice.words() == "Context: 32,768 tokens (set for this model; it can take 131,072)"


def test_the_starter_takes_all_it_was_trained_for(starter_model: Path) -> None:
    shape = ModelShape.from_header(read_gguf_header(starter_model))
    choice = choose_context(shape, laptop())
    assert choice.n_ctx == shape.context_length_trained == 8192
    assert choice.words() == "Context: 8,192 tokens (all this model can take)"


@pytest.mark.parametrize(("kv_type", "ratio"), [("q8_0", 0.53), ("q4_0", 0.28)])
def test_the_fit_estimate_counts_a_quantized_cache(kv_type: str, ratio: float) -> None:
    f16 = estimate_fit(LLAMA_31_8B, laptop(), 8192)
    quantized = estimate_fit(LLAMA_31_8B, laptop(), 8192, kv_type=kv_type)
    assert f16.kv_bytes == 32 * 8192 * 8 * 128 * 2 * 2  # 1 GiB
    assert quantized.kv_bytes / f16.kv_bytes == pytest.approx(ratio, abs=0.005)
    assert quantized.total_bytes < f16.total_bytes
    saved = {"q8_0": "480 MB", "q4_0": "736 MB"}[kv_type]
    assert f"KV cache, {kv_type}) " in quantized.explain()
    assert f"({saved} less than f16)" in quantized.explain()
    assert "less than f16" not in f16.explain()
