"""Parsing llama.cpp's system information line, in the current and the old format."""

from __future__ import annotations

from app.hardware.system_info import backend_name, parse_system_info


def test_cuda_build_line():
    info = parse_system_info(
        "CUDA : ARCHS = 890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | "
        "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | "
        "AVX512 = 0 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
    )
    assert info.backends == ("cuda", "cpu")
    assert info.cpu_features == ("SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA")
    assert info.features["cuda"] == {
        "ARCHS": "890",
        "USE_GRAPHS": "1",
        "PEER_MAX_BATCH_SIZE": "128",
    }


def test_metal_build_line_keeps_cpu_last():
    info = parse_system_info(
        "Metal : EMBED_LIBRARY = 1 | CPU : NEON = 1 | ARM_FMA = 1 | FP16_VA = 1 | "
        "DOTPROD = 1 | ACCELERATE = 1 | REPACK = 1 |"
    )
    assert info.backends == ("metal", "cpu")
    assert info.cpu_features == ("NEON", "ARM_FMA", "FP16_VA", "DOTPROD")


def test_several_backends_in_order_one_without_features():
    # llama.cpp writes "Vulkan : " and nothing else for a backend without features.
    info = parse_system_info(
        "Vulkan : BLAS : ACCELERATE = 1 | ROCm : ARCHS = 1100 | CPU : AVX = 1 |"
    )
    assert info.backends == ("vulkan", "blas", "rocm", "cpu")


def test_this_machines_cpu_build_line():
    text = (
        "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 |"
        " LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
    )
    info = parse_system_info(text)
    assert info.backends == ("cpu",)
    assert "AVX2" in info.cpu_features and "OPENMP" not in info.cpu_features


def test_old_flat_line_reads_gpu_flags_as_backends():
    info = parse_system_info(
        "AVX = 1 | AVX_VNNI = 0 | AVX2 = 1 | AVX512 = 0 | NEON = 0 | F16C = 1 | "
        "CUDA = 1 | METAL = 0 | BLAS = 1 | SSE3 = 1 | LLAMAFILE = 1 | "
    )
    assert info.backends == ("cuda", "cpu")
    assert info.cpu_features == ("AVX", "AVX2", "F16C", "SSE3")


def test_old_flat_line_without_gpu_is_cpu_only():
    assert parse_system_info("AVX = 1 | CUDA = 0 | METAL = 0 |").backends == ("cpu",)


def test_empty_or_garbled_text_gives_cpu_only():
    for text in ("", "   ", "no separators here", "| | = |", "CPU :"):
        info = parse_system_info(text)
        assert info.backends == ("cpu",)


def test_backend_names():
    assert backend_name("CUDA") == "cuda"
    assert backend_name("ROCm") == "rocm"
    assert backend_name(" Metal ") == "metal"
    assert backend_name("WebGPU") == "webgpu"
