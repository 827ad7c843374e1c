"""Memory estimates and fit verdicts: numbers by hand, real GGUF headers, recorded machines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import gguf
import numpy as np
import pytest

from app.hardware.machine import MachineInfo, load_machine
from app.hardware.units import GIB, MIB
from app.library.fit import (
    RUNTIME_OVERHEAD,
    FitVerdict,
    ModelShape,
    compute_buffer_bytes,
    estimate_fit,
    kv_cache_bytes,
    place,
    recommend_quant,
    with_headroom,
)
from app.library.gguf_header import GGUFHeader, read_gguf_header
from app.library.starter import starter_model_path

HARDWARE_TESTS = Path(__file__).parents[1] / "hardware"
SHAPES = json.loads((HARDWARE_TESTS / "model_shapes.json").read_text(encoding="utf-8"))


def read_header(path: Path) -> GGUFHeader:
    return read_gguf_header(path)


def machine(name: str) -> MachineInfo:
    return load_machine(HARDWARE_TESTS / "machines" / f"{name}.json")


def shape(key: str) -> ModelShape:
    return ModelShape(**SHAPES[key])


LINUX_4090 = "linux_rtx4090_24gb_ram64gb"
MAC_64 = "mac_m2max_64gb"
LAPTOP = "laptop_cpu_only_16gb"
GAMING_8GB = "gaming_rtx3070_8gb_ram32gb"


# --- KV cache and compute buffers, by hand -------------------------------------------


def test_llama3_8b_kv_cache_at_8k_f16_is_exactly_one_gib():
    # 2 (K, V) x 32 layers x 8192 tokens x (8 heads x 128) x 2 bytes
    assert kv_cache_bytes(shape("llama3_8b_q4_k_m"), 8192) == 2 * 32 * 8192 * 8 * 128 * 2 == GIB


def test_quantized_kv_cache_sizes():
    llama = shape("llama3_8b_q4_k_m")
    assert kv_cache_bytes(llama, 8192, "q8_0") == GIB * 34 // 64  # 544 MiB
    assert kv_cache_bytes(llama, 8192, "q4_0") == GIB * 18 // 64  # 288 MiB
    with pytest.raises(ValueError, match="unknown KV cache type"):
        kv_cache_bytes(llama, 8192, "q2_k")


def test_kv_cache_for_70b_and_for_qwen_with_its_own_head_counts():
    assert kv_cache_bytes(shape("llama3_70b_q4_k_m"), 8192) == 2 * 80 * 8192 * 1024 * 2
    # Qwen2.5-7B: 28 layers, 4 KV heads of 3584 / 28 = 128 dimensions, 32k context.
    assert kv_cache_bytes(shape("qwen25_7b_q4_k_m"), 32768) == 2 * 28 * 32768 * 512 * 2


def test_context_is_rounded_up_to_256_tokens_like_llama_cpp():
    llama = shape("llama3_8b_q4_k_m")
    assert kv_cache_bytes(llama, 8000) == kv_cache_bytes(llama, 8192)
    assert kv_cache_bytes(llama, 8193) == kv_cache_bytes(llama, 8448)


def test_explicit_key_and_value_lengths_replace_embedding_over_heads():
    gemma_like = ModelShape(
        n_layers=2, n_embd=100, n_head=4, n_head_kv=2, n_vocab=10, weights_bytes=1000,
        head_dim_k=48, head_dim_v=32,
    )  # fmt: skip
    assert gemma_like.n_embd_kv == 2 * (48 + 32)
    assert kv_cache_bytes(gemma_like, 256, "f32") == 2 * 256 * 160 * 4


def test_compute_buffer_formula():
    llama = shape("llama3_8b_q4_k_m")
    # Without flash attention the 32 x 8192 attention scores per token outweigh the logits.
    assert compute_buffer_bytes(llama, 8192, False) == 512 * 4 * (32 * 8192 + 8 * 4096)
    # With it the logits (128256 per token) are the largest tensor.
    assert compute_buffer_bytes(llama, 8192, True) == 512 * 4 * (128256 + 8 * 4096)
    # A context shorter than a batch limits the batch.
    assert compute_buffer_bytes(llama, 256, True) == 256 * 4 * (128256 + 8 * 4096)


# --- Shapes from catalog numbers --------------------------------------------------------


def test_catalog_shape_estimates_parts_that_add_up_to_the_file():
    llama = shape("llama3_8b_q4_k_m")
    assert len(llama.layer_bytes) == 32
    assert llama.input_bytes + sum(llama.layer_bytes) + llama.output_bytes == llama.weights_bytes
    # Llama-3-8B has 8.03 billion parameters; the estimate lands within 1 %.
    assert llama.n_params == pytest.approx(8.03e9, rel=0.01)
    assert 4.5 < llama.bits_per_weight < 5.0  # Q4_K_M is about 4.9 bits per weight
    assert llama.head_dim_k == llama.head_dim_v == 128


def test_with_weights_rescales_every_part():
    q4 = shape("llama3_8b_q4_k_m")
    q8 = q4.with_weights(SHAPES["llama3_8b_quants"]["Q8_0"], "8B Q8_0")
    assert q8.name == "8B Q8_0"
    assert q8.input_bytes + sum(q8.layer_bytes) + q8.output_bytes == q8.weights_bytes
    assert q8.layer_bytes[0] == pytest.approx(q4.layer_bytes[0] * 8540770304 / 4920734016, rel=1e-6)
    assert 8.4 < q8.bits_per_weight < 8.6


# --- Shapes from real GGUF headers -------------------------------------------------------

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_VOCAB = 64, 4, 2, 128, 100
HEAD_DIM = N_EMBD // N_HEAD
BLOCK_TENSORS = {  # name -> numpy shape (rows, columns); ggml lists them reversed
    "attn_norm.weight": (N_EMBD,),
    "attn_q.weight": (N_EMBD, N_EMBD),
    "attn_k.weight": (N_HEAD_KV * HEAD_DIM, N_EMBD),
    "attn_v.weight": (N_HEAD_KV * HEAD_DIM, N_EMBD),
    "attn_output.weight": (N_EMBD, N_EMBD),
    "ffn_norm.weight": (N_EMBD,),
    "ffn_gate.weight": (N_FF, N_EMBD),
    "ffn_up.weight": (N_FF, N_EMBD),
    "ffn_down.weight": (N_EMBD, N_FF),
}
BLOCK_BYTES = 4 * sum(int(np.prod(s)) for s in BLOCK_TENSORS.values())  # f32
EMBEDDING_BYTES = 4 * N_VOCAB * N_EMBD


def write_tiny_gguf(
    path: Path,
    *,
    blocks: range = range(2),
    tied: bool = False,
    metadata: bool = True,
    embeddings: bool = True,
    output: bool = True,
    key_length: int | None = None,
) -> Path:
    writer = gguf.GGUFWriter(path, "llama")
    if metadata:
        writer.add_block_count(2)
        writer.add_context_length(4096)
        writer.add_embedding_length(N_EMBD)
        writer.add_feed_forward_length(N_FF)
        writer.add_head_count(N_HEAD)
        writer.add_head_count_kv(N_HEAD_KV)
        writer.add_vocab_size(N_VOCAB)
        writer.add_size_label("tiny")
        writer.add_file_type(gguf.LlamaFileType.ALL_F32)
        if key_length is not None:
            writer.add_key_length(key_length)
            writer.add_value_length(key_length)
    rng = np.random.default_rng(0)
    if embeddings:
        writer.add_tensor("token_embd.weight", rng.random((N_VOCAB, N_EMBD), dtype=np.float32))
    for block in blocks:
        for name, tensor_shape in BLOCK_TENSORS.items():
            writer.add_tensor(f"blk.{block}.{name}", rng.random(tensor_shape, dtype=np.float32))
    if output:
        writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        if not tied:
            writer.add_tensor("output.weight", rng.random((N_VOCAB, N_EMBD), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_shape_from_a_tiny_gguf_has_exact_tensor_sizes(tmp_path):
    header = read_header(write_tiny_gguf(tmp_path / "tiny.gguf"))
    tiny = ModelShape.from_header(header)

    assert (tiny.n_layers, tiny.n_embd, tiny.n_head, tiny.n_head_kv) == (2, 64, 4, 2)
    assert (tiny.n_vocab, tiny.n_ff, tiny.context_length_trained) == (100, 128, 4096)
    assert tiny.head_dim_k == tiny.head_dim_v == 16
    assert tiny.layer_bytes == (BLOCK_BYTES, BLOCK_BYTES)
    assert tiny.input_bytes == EMBEDDING_BYTES
    assert tiny.output_bytes == EMBEDDING_BYTES + 4 * N_EMBD  # head + final norm
    assert not tiny.output_tied
    assert tiny.weights_bytes == header.weights_bytes
    assert tiny.input_bytes + sum(tiny.layer_bytes) + tiny.output_bytes == tiny.weights_bytes
    assert tiny.n_params * 4 == tiny.weights_bytes  # all f32
    assert tiny.name == "tiny F32"
    # KV: 2 layers x 256 tokens x 2 heads x (16 + 16) x 2 bytes
    assert kv_cache_bytes(tiny, 256) == 2 * 256 * 2 * 32 * 2


def test_shape_reads_key_and_value_lengths_from_the_header(tmp_path):
    header = read_header(write_tiny_gguf(tmp_path / "tiny.gguf", key_length=24))
    tiny = ModelShape.from_header(header)
    assert tiny.head_dim_k == tiny.head_dim_v == 24


def test_tied_output_head_is_a_copy_on_the_gpu(tmp_path):
    header = read_header(write_tiny_gguf(tmp_path / "tied.gguf", tied=True))
    tied = ModelShape.from_header(header)

    assert tied.output_tied
    assert tied.output_bytes == EMBEDDING_BYTES  # the copy llama.cpp makes
    assert tied.input_bytes + sum(tied.layer_bytes) == tied.weights_bytes
    # All on the GPU: the head copy and both blocks; the embeddings stay in RAM.
    all_on_gpu = place(tied, 256, 3, "f16", True)
    on_cpu = place(tied, 256, 0, "f16", True)
    assert all_on_gpu.cpu_bytes == tied.input_bytes
    assert on_cpu.cpu_bytes == (
        tied.weights_bytes
        + kv_cache_bytes(tied, 256)
        + compute_buffer_bytes(tied, 256, True)
        + RUNTIME_OVERHEAD
    )


def test_split_model_counts_the_tensors_of_every_part(tmp_path):
    first = write_tiny_gguf(tmp_path / "m-00001-of-00002.gguf", blocks=range(1), output=False)
    second = write_tiny_gguf(
        tmp_path / "m-00002-of-00002.gguf", blocks=range(1, 2), metadata=False, embeddings=False
    )
    headers = [read_header(first), read_header(second)]
    split = ModelShape.from_header(*headers)

    assert split.layer_bytes == (BLOCK_BYTES, BLOCK_BYTES)
    assert not split.output_tied
    assert split.weights_bytes == headers[0].weights_bytes + headers[1].weights_bytes
    assert split.input_bytes + sum(split.layer_bytes) + split.output_bytes == split.weights_bytes


def test_shape_of_the_real_starter_model():
    path = starter_model_path()
    assert path is not None, "the starter model is installed with the dev environment"
    header = read_header(path)
    smol = ModelShape.from_header(header)

    # SmolLM2-135M: 30 blocks of width 576, 9 query heads sharing 3 KV heads of 64.
    assert (smol.n_layers, smol.n_embd, smol.n_head, smol.n_head_kv) == (30, 576, 9, 3)
    assert smol.head_dim_k == 64 and smol.n_vocab == 49152
    assert smol.output_tied  # its head reuses the token embeddings
    assert smol.n_params == pytest.approx(134.5e6, rel=0.01)
    assert smol.weights_bytes == header.weights_bytes
    assert smol.input_bytes + sum(smol.layer_bytes) == smol.weights_bytes
    assert kv_cache_bytes(smol, 8192) == 30 * 8192 * 3 * 128 * 2
    estimate = estimate_fit(smol, machine(LAPTOP), 8192)
    assert estimate.verdict is FitVerdict.CPU_ONLY
    assert estimate_fit(smol, machine(GAMING_8GB), 8192).verdict is FitVerdict.FITS_GPU


# --- Verdicts on recorded machines --------------------------------------------------------


def test_verdicts_across_machines():
    llama8, llama70 = shape("llama3_8b_q4_k_m"), shape("llama3_70b_q4_k_m")
    assert estimate_fit(llama8, machine(LINUX_4090), 8192).verdict is FitVerdict.FITS_GPU
    assert estimate_fit(llama70, machine(LINUX_4090), 8192).verdict is FitVerdict.PARTIAL_GPU
    assert estimate_fit(llama70, machine(MAC_64), 8192).verdict is FitVerdict.FITS_GPU
    assert estimate_fit(llama8, machine(LAPTOP), 8192).verdict is FitVerdict.CPU_ONLY
    assert estimate_fit(llama70, machine(LAPTOP), 8192).verdict is FitVerdict.DOES_NOT_FIT
    assert estimate_fit(llama70, machine(GAMING_8GB), 8192).verdict is FitVerdict.DOES_NOT_FIT
    huge = shape("llama31_405b_q4_k_m")
    for name in (LINUX_4090, MAC_64, LAPTOP, GAMING_8GB):
        assert estimate_fit(huge, machine(name), 4096).verdict is FitVerdict.DOES_NOT_FIT


def test_estimate_numbers_add_up():
    llama8 = shape("llama3_8b_q4_k_m")
    estimate = estimate_fit(llama8, machine(LINUX_4090), 8192)
    assert estimate.kv_bytes == GIB
    assert estimate.flash_attn  # CUDA
    assert estimate.compute_bytes == compute_buffer_bytes(llama8, 8192, True)
    assert estimate.total_bytes == llama8.weights_bytes + GIB + estimate.compute_bytes + 400 * MIB
    # Everything but the token embeddings is on the GPU.
    assert estimate.gpu_bytes + estimate.cpu_bytes == estimate.total_bytes
    assert estimate.cpu_bytes == llama8.input_bytes


def test_context_length_can_tip_the_verdict():
    llama8 = shape("llama3_8b_q4_k_m")
    laptop = machine(LAPTOP)
    assert estimate_fit(llama8, laptop, 8192).verdict is FitVerdict.CPU_ONLY
    assert estimate_fit(llama8, laptop, 32768).verdict is FitVerdict.DOES_NOT_FIT
    # A q4_0 KV cache needs less than a third of the f16 one and fits again.
    assert estimate_fit(llama8, laptop, 32768, kv_type="q4_0").verdict is FitVerdict.CPU_ONLY


def test_unified_memory_counts_the_gpu_share_against_ram():
    mac = machine(MAC_64)
    llama70 = shape("llama3_70b_q4_k_m")
    assert estimate_fit(llama70, mac, 8192).verdict is FitVerdict.FITS_GPU
    # Same Mac with most of its RAM taken by other applications.
    busy_gpu = replace(mac.gpus[0], free_vram=20 * GIB)
    busy = replace(mac, available_ram=20 * GIB, gpus=(busy_gpu,))
    assert estimate_fit(llama70, busy, 8192).verdict is FitVerdict.DOES_NOT_FIT


def test_margin_is_ten_percent_and_512_mb():
    assert with_headroom(10 * GIB) == int(11 * GIB) + 512 * MIB


def test_explain_gives_the_numbers():
    text = estimate_fit(shape("llama3_70b_q4_k_m"), machine(LINUX_4090), 8192).explain()
    lines = text.splitlines()
    assert lines[0].startswith("Partly on GPU: 70B Q4_K_M at 8,192 tokens of context needs about")
    assert "Weights 39.6 GB, context memory (KV cache, f16) 2.5 GB" in lines[1]
    assert "of 81 layers on the NVIDIA GeForce RTX 4090" in lines[2]
    assert "23.2 GB free" in lines[2] and "50.3 GB of RAM available" in lines[2]

    cpu = estimate_fit(shape("llama3_8b_q4_k_m"), machine(LAPTOP), 8192).explain()
    assert cpu.startswith("CPU only, slow: 8B Q4_K_M")
    assert "no GPU that this engine build can use" in cpu
    chosen = estimate_fit(shape("llama3_8b_q4_k_m"), machine(LINUX_4090), 8192, n_gpu_layers=0)
    assert chosen.explain().endswith("0 GPU layers were chosen for this model.")
    too_big = estimate_fit(shape("llama3_70b_q4_k_m"), machine(LAPTOP), 8192).explain()
    assert too_big.startswith("Does not fit:")
    assert "Pick a smaller quantization or a shorter context." in too_big


# --- Picking a quantization ---------------------------------------------------------------


def quant_options() -> tuple[list[str], list[ModelShape]]:
    base = shape("llama3_8b_q4_k_m")
    quants = SHAPES["llama3_8b_quants"]
    return list(quants), [base.with_weights(size, f"8B {name}") for name, size in quants.items()]


def test_recommend_quant_takes_the_best_that_fits_on_the_gpu():
    names, options = quant_options()
    # A 24 GB card holds even F16, but past Q8_0 more bits buy nothing.
    assert names[recommend_quant(options, machine(LINUX_4090), 8192)] == "Q8_0"
    # An 8 GB card holds Q4_K_M with an 8k context, not Q5_K_M.
    assert names[recommend_quant(options, machine(GAMING_8GB), 8192)] == "Q4_K_M"


def test_recommend_quant_without_a_gpu_takes_the_best_that_runs():
    names, options = quant_options()
    assert names[recommend_quant(options, machine(LAPTOP), 8192)] == "Q5_K_M"


def test_recommend_quant_prefers_a_sensible_quant_partly_on_gpu_over_a_2_bit_one():
    names, options = quant_options()
    gaming = machine(GAMING_8GB)
    small = replace(gaming, gpus=(replace(gaming.gpus[0], free_vram=int(5.5 * GIB)),))
    fits_gpu = [
        names[i]
        for i, option in enumerate(options)
        if estimate_fit(option, small, 8192).verdict is FitVerdict.FITS_GPU
    ]
    assert fits_gpu == ["Q2_K"]
    # Partly on the CPU, every token reads the weights from RAM: at most ~5 bits.
    assert names[recommend_quant(options, small, 8192)] == "Q5_K_M"


def test_recommend_quant_off_the_gpu_stops_at_about_5_bits_even_with_room_for_more():
    names, options = quant_options()
    roomy_cpu = replace(machine(LAPTOP), total_ram=128 * GIB, available_ram=120 * GIB)
    assert names[recommend_quant(options, roomy_cpu, 8192)] == "Q5_K_M"


def test_recommend_quant_gives_none_when_nothing_runs():
    base = shape("llama3_70b_q4_k_m")
    options = [base.with_weights(26_400_000_000), base]
    assert recommend_quant(options, machine(LAPTOP), 8192) is None
    assert recommend_quant([], machine(LAPTOP), 8192) is None
