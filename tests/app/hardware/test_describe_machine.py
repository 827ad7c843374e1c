"""describe_machine on recorded machines: the text `hearth system` prints."""

from __future__ import annotations

from dataclasses import replace

from app.hardware import describe_machine


def test_nvidia_linux_box(machines):
    text = describe_machine(machines["linux_rtx4090_24gb_ram64gb"])
    lines = text.splitlines()
    assert lines[0] == "Computer:   Linux 6.8.0-45-generic (x86_64)"
    assert lines[1] == "Processor:  AMD Ryzen 9 7950X 16-Core Processor, 16 cores, 32 threads"
    assert lines[2] == "Memory:     61.9 GB, 50.3 GB available"
    assert lines[3] == "Graphics:   NVIDIA GeForce RTX 4090 (CUDA): 24.0 GB, 23.2 GB free"
    assert lines[4] == "Engine:     llama-cpp-python 0.3.36, backends CUDA + CPU, GPU offload yes"
    assert lines[5].startswith("CPU features: SSE3, SSSE3, AVX, AVX2")
    assert lines[6] == "Models run on: NVIDIA GeForce RTX 4090 (CUDA)"


def test_mac_shows_unified_memory(machines):
    text = describe_machine(machines["mac_m2max_64gb"])
    assert "Computer:   macOS 14.5 (arm64)" in text
    assert (
        "Graphics:   Apple M2 Max GPU (Metal, unified memory): up to 48.0 GB for models,"
        " 48.0 GB usable now"
    ) in text
    assert "Models run on: Apple M2 Max GPU (Metal)" in text


def test_cpu_only_laptop(machines):
    text = describe_machine(machines["laptop_cpu_only_16gb"])
    assert "Graphics:   none found" in text
    assert "backends CPU, GPU offload no" in text
    assert "Models run on: the processor (CPU only: slower, and limited by RAM)" in text


def test_unused_gpu_and_missing_engine_and_notes(machines):
    gaming = machines["gaming_rtx3070_8gb_ram32gb"]
    cpu_build = replace(gaming.engine, backends=("cpu",), supports_gpu_offload=False)
    text = describe_machine(replace(gaming, engine=cpu_build))
    assert "RTX 3070 (CUDA): 8.0 GB, 7.2 GB free; not used: this engine build has no CUDA" in text

    bare = replace(gaming, engine=None, notes=("nvidia-smi did not answer within 2 s",))
    text = describe_machine(bare)
    assert "Engine:     llama-cpp-python is not installed" in text
    assert "Models run on: NVIDIA GeForce RTX 3070 (CUDA)" in text
    assert text.endswith("Note: nvidia-smi did not answer within 2 s")
