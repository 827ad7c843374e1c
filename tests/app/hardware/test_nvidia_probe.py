"""NVIDIA detection: nvidia-smi's CSV, and stand-in nvidia-smi programs that answer,
fail, print garbage or hang."""

from __future__ import annotations

import sys
from pathlib import Path

from app.hardware.nvidia import nvidia_gpus_from_smi, parse_nvidia_smi
from app.hardware.units import MIB

RTX_4090_LINE = "NVIDIA GeForce RTX 4090, 24564, 23733"


def fake_nvidia_smi(folder: Path, body: str) -> Path:
    """A program named nvidia-smi, run by this Python, with ``body`` as its script."""
    script = folder / "nvidia-smi"
    script.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return folder


def test_parse_one_card():
    (gpu,) = parse_nvidia_smi(RTX_4090_LINE + "\n")
    assert gpu.name == "NVIDIA GeForce RTX 4090"
    assert gpu.backend == "cuda" and not gpu.unified_memory
    assert gpu.total_vram == 24564 * MIB and gpu.free_vram == 23733 * MIB


def test_parse_two_cards_a_name_with_a_comma_and_unreadable_lines():
    text = "\n".join(
        [
            "NVIDIA RTX A6000, 49140, 48000",
            "Tesla T4, Rev. B, 15360, 15000",
            "NVIDIA GeForce GT 710, [N/A], [N/A]",
            "",
            "garbage",
        ]
    )
    gpus = parse_nvidia_smi(text)
    assert [g.name for g in gpus] == ["NVIDIA RTX A6000", "Tesla T4, Rev. B"]
    assert gpus[1].free_vram == 15000 * MIB


def test_a_working_nvidia_smi_is_asked_for_name_and_memory(tmp_path, monkeypatch):
    # The stand-in answers only when asked with Hearth's exact query.
    body = (
        "args = sys.argv[1:]\n"
        "expected = ['--query-gpu=name,memory.total,memory.free',"
        " '--format=csv,noheader,nounits']\n"
        f"print({RTX_4090_LINE!r} if args == expected else 'wrong arguments')"
    )
    monkeypatch.setenv("PATH", str(fake_nvidia_smi(tmp_path, body)))
    gpus, note = nvidia_gpus_from_smi()
    assert note is None
    assert [g.name for g in gpus] == ["NVIDIA GeForce RTX 4090"]


def test_a_failing_nvidia_smi_gives_no_gpu_and_says_why(tmp_path, monkeypatch):
    body = (
        "print('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.')\n"
        "sys.exit(9)"
    )
    monkeypatch.setenv("PATH", str(fake_nvidia_smi(tmp_path, body)))
    gpus, note = nvidia_gpus_from_smi()
    assert gpus == []
    assert note is not None and "could not communicate with the NVIDIA driver" in note


def test_a_hung_nvidia_smi_is_abandoned(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_nvidia_smi(tmp_path, "time.sleep(60)")))
    gpus, note = nvidia_gpus_from_smi(timeout_s=0.5)
    assert gpus == []
    assert note == "nvidia-smi did not answer within 0.5 s"


def test_no_nvidia_smi_means_no_gpu_and_no_note(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert nvidia_gpus_from_smi() == ([], None)
