"""plan_offload on recorded machines: how many layers go where, and the reason given."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.hardware.machine import EngineBuild
from app.hardware.offload import plan_offload
from app.library.fit import FitVerdict, with_headroom

LINUX_4090 = "linux_rtx4090_24gb_ram64gb"
MAC_64 = "mac_m2max_64gb"
LAPTOP = "laptop_cpu_only_16gb"
GAMING_8GB = "gaming_rtx3070_8gb_ram32gb"


def test_8b_q4_at_8k_goes_entirely_on_a_24gb_gpu(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192)

    assert plan.n_gpu_layers == 33  # 32 blocks + the output layer
    assert plan.all_layers
    assert plan.backend_used == "cuda"
    assert plan.device_name == "NVIDIA GeForce RTX 4090"
    assert plan.flash_attn is True
    assert plan.fits
    assert plan.estimate.verdict is FitVerdict.FITS_GPU
    assert plan.reason.startswith("All 33 layers on the NVIDIA GeForce RTX 4090 (")
    assert plan.reason.endswith(" of 24.0 GB)")
    assert plan.llama_kwargs() == {"n_gpu_layers": -1, "flash_attn": True, "type_k": 1, "type_v": 1}


def test_70b_q4_is_split_between_a_24gb_gpu_and_ram(machines, shapes):
    machine = machines[LINUX_4090]
    shape = shapes["llama3_70b_q4_k_m"]
    plan = plan_offload(shape, machine, 8192)

    assert 30 <= plan.n_gpu_layers <= 45
    assert plan.estimate.verdict is FitVerdict.PARTIAL_GPU
    assert plan.fits and plan.backend_used == "cuda" and plan.output_on_gpu
    # As many layers as fit: one more would overflow the free memory with the margin.
    free = machine.gpus[0].free_vram
    assert with_headroom(plan.estimate.gpu_bytes) <= free
    one_more = plan_offload(shape, machine, 8192, override=plan.n_gpu_layers + 1)
    assert with_headroom(one_more.estimate.gpu_bytes) > free
    assert plan.reason.startswith(
        f"{plan.n_gpu_layers} of 81 layers on the GPU; the rest on the CPU"
    )
    assert "70B Q4_K_M needs" in plan.reason and "the GPU has 23.2 GB free" in plan.reason
    assert plan.llama_kwargs()["n_gpu_layers"] == plan.n_gpu_layers


def test_70b_q4_goes_entirely_on_metal_on_a_64gb_mac(machines, shapes):
    plan = plan_offload(shapes["llama3_70b_q4_k_m"], machines[MAC_64], 8192)

    assert plan.n_gpu_layers == 81
    assert plan.backend_used == "metal"
    assert plan.flash_attn is True
    assert plan.estimate.verdict is FitVerdict.FITS_GPU
    assert plan.reason.startswith("All 81 layers on the Apple M2 Max GPU (Metal, ")
    assert "of 48.0 GB usable" in plan.reason


def test_override_zero_runs_on_the_cpu_even_with_a_big_gpu(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192, override=0)

    assert plan.n_gpu_layers == 0
    assert plan.backend_used == "cpu"
    assert plan.device_name is None
    assert plan.flash_attn is False  # the CPU's default, not CUDA's
    assert plan.estimate.verdict is FitVerdict.CPU_ONLY
    assert plan.estimate.gpu_bytes == 0
    assert plan.reason == "CPU only, as set for this model (0 GPU layers)"
    assert plan.llama_kwargs()["n_gpu_layers"] == 0


def test_override_is_kept_and_flagged_when_it_does_not_fit(machines, shapes):
    plan = plan_offload(shapes["llama3_70b_q4_k_m"], machines[GAMING_8GB], 4096, override=-1)

    assert plan.n_gpu_layers == 81
    assert not plan.fits
    assert plan.estimate.verdict is FitVerdict.DOES_NOT_FIT
    assert "81 of 81 layers on the GPU, as set for this model, do not fit" in plan.reason


def test_a_partial_override_that_fits_says_it_was_chosen(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192, override=20)

    assert plan.n_gpu_layers == 20 and plan.fits
    assert plan.estimate.verdict is FitVerdict.PARTIAL_GPU
    assert "(as set for this model)" in plan.reason
    assert "the last 19 transformer blocks" in plan.notes[-1]


def test_override_above_the_layer_count_means_all(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192, override=999)
    assert plan.n_gpu_layers == 33


def test_negative_override_other_than_minus_one_is_refused(machines, shapes):
    with pytest.raises(ValueError, match="-1 \\(all\\)"):
        plan_offload(shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192, override=-2)


def test_model_bigger_than_ram_and_vram_does_not_fit(machines, shapes):
    plan = plan_offload(shapes["llama31_405b_q4_k_m"], machines[LINUX_4090], 8192)

    assert not plan.fits
    assert plan.estimate.verdict is FitVerdict.DOES_NOT_FIT
    assert plan.reason.startswith("Does not fit: 405B Q4_K_M needs ")
    assert "NVIDIA GeForce RTX 4090 has 23.2 GB free" in plan.reason


def test_cpu_only_laptop_runs_an_8b_model_on_the_cpu(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LAPTOP], 8192)

    assert plan.n_gpu_layers == 0 and plan.backend_used == "cpu" and plan.fits
    assert plan.estimate.verdict is FitVerdict.CPU_ONLY
    assert plan.flash_attn is False
    assert plan.reason == "No GPU backend in this build: CPU only"


def test_cpu_build_on_a_machine_with_an_nvidia_card_says_the_card_is_unused(machines, shapes):
    gaming = machines[GAMING_8GB]
    cpu_build = EngineBuild("0.3.36", "CPU : AVX2 = 1 |", ("cpu",), ("AVX2",), False)
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], replace(gaming, engine=cpu_build), 8192)

    assert plan.n_gpu_layers == 0
    assert plan.reason == (
        "No GPU backend in this build: CPU only (the NVIDIA GeForce RTX 3070 is not used)"
    )


def test_a_build_for_another_backend_names_the_missing_one(machines, shapes):
    gaming = machines[GAMING_8GB]
    vulkan_build = EngineBuild("0.3.36", "Vulkan : |", ("vulkan", "cpu"), (), True)
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], replace(gaming, engine=vulkan_build), 8192)

    assert plan.n_gpu_layers == 0
    assert "no CUDA support" in plan.reason


def test_8gb_card_holds_an_8b_q4_at_8k_but_not_at_32k(machines, shapes):
    shape = shapes["llama3_8b_q4_k_m"]
    short = plan_offload(shape, machines[GAMING_8GB], 8192)
    long = plan_offload(shape, machines[GAMING_8GB], 32768)

    assert short.all_layers
    assert long.estimate.verdict is FitVerdict.PARTIAL_GPU
    assert 1 <= long.n_gpu_layers < 33
    # The KV cache grows fourfold; a q8_0 cache brings more layers back onto the GPU.
    quantized = plan_offload(shape, machines[GAMING_8GB], 32768, kv_type="q8_0")
    assert quantized.kv_cache_type == "q8_0" and quantized.flash_attn
    assert quantized.n_gpu_layers > long.n_gpu_layers
    assert quantized.llama_kwargs()["type_k"] == 8


def test_quantized_kv_with_flash_attention_off_falls_back_to_f16(machines, shapes):
    plan = plan_offload(
        shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192, kv_type="q4_0", flash_attn=False
    )
    assert plan.kv_cache_type == "f16" and plan.flash_attn is False
    assert "needs flash attention" in plan.notes[0]


def test_quantized_kv_on_the_cpu_turns_flash_attention_on(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LAPTOP], 8192, kv_type="q8_0")
    assert plan.flash_attn is True and plan.kv_cache_type == "q8_0"


def test_unknown_kv_type_is_refused(machines, shapes):
    with pytest.raises(ValueError, match="unknown KV cache type"):
        plan_offload(shapes["llama3_8b_q4_k_m"], machines[LINUX_4090], 8192, kv_type="q3")


def test_gpu_too_small_for_one_layer_gives_cpu_only(machines, shapes):
    gaming = machines[GAMING_8GB]
    busy = replace(gaming, gpus=(replace(gaming.gpus[0], free_vram=600 * 1024**2),))
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], busy, 8192)

    assert plan.n_gpu_layers == 0 and plan.estimate.verdict is FitVerdict.CPU_ONLY
    assert plan.reason.startswith("CPU only: the NVIDIA GeForce RTX 3070 has too little free")


def test_full_offload_notes_where_the_embeddings_stay(machines, shapes):
    plan = plan_offload(shapes["qwen25_7b_q4_k_m"], machines[LINUX_4090], 32768)
    assert plan.all_layers and plan.n_gpu_layers == 29
    assert "token embeddings stay in RAM" in plan.notes[-1]


def test_gpu_layers_set_on_a_machine_without_a_usable_gpu_run_on_the_cpu(machines, shapes):
    plan = plan_offload(shapes["llama3_8b_q4_k_m"], machines[LAPTOP], 8192, override=10)
    assert plan.n_gpu_layers == 0 and plan.backend_used == "cpu"
    assert plan.notes == ("The 10 GPU layers set for this model run on the CPU instead.",)
