"""The check before a load: refused with the numbers, or loaded anyway as the user chose.

A sparse file stands for a model far too big for any recorded machine: its header
describes about 125 GB of weights, its length matches, and it takes no disk space.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from app.engine.engine import Engine
from app.engine.protocol import SamplingParams
from app.hardware import MachineInfo, load_machine
from app.hardware.units import MIB, format_gb
from app.hearth import Hearth
from app.library.fit import FitVerdict, ModelShape, with_headroom
from app.library.gguf_header import read_gguf_header
from app.library.preflight import LoadChoice, ModelDoesNotFit, preflight
from app.paths import hearth_paths
from tests.support.recorded_machine import use_recorded_machine
from tests.support.synthetic_gguf import LLAMA_70B, scaled, write_synthetic_llama
from tests.support.tiny_gguf import write_tiny_llama

MACHINES = Path(__file__).parents[1] / "hardware" / "machines"
# 70B-wide, 3.5 times as deep: about 125 GB of Q4_0 weights.
HUGE = scaled(LLAMA_70B, n_layers=280, size_label="250B")


@pytest.fixture(scope="module")
def huge_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "huge-250B-Q4_0.gguf"
    return write_synthetic_llama(path, HUGE, name="Huge Test Llama", sparse=True)


@pytest.fixture(scope="module")
def huge_shape(huge_model: Path) -> ModelShape:
    return ModelShape.from_header(read_gguf_header(huge_model))


def machine(name: str) -> MachineInfo:
    return load_machine(MACHINES / f"{name}.json")


LAPTOP = "laptop_cpu_only_16gb"
RTX3070 = "gaming_rtx3070_8gb_ram32gb"


def test_the_huge_model_claims_its_size_but_takes_no_disk(huge_model: Path, huge_shape) -> None:
    assert huge_shape.weights_bytes > 120 * 1024**3
    assert huge_model.stat().st_size > huge_shape.weights_bytes
    assert huge_model.stat().st_blocks * 512 < 64 * MIB  # only the header was written


def test_a_model_too_big_is_refused_with_the_numbers(huge_shape: ModelShape) -> None:
    laptop = machine(LAPTOP)
    with pytest.raises(ModelDoesNotFit) as refused:
        preflight(huge_shape, laptop, 4096, model_path="/models/huge.gguf")
    error = refused.value
    text = str(error)
    assert error.estimate.verdict is FitVerdict.DOES_NOT_FIT
    assert text == error.estimate.explain()
    assert text.startswith("Does not fit: 250B Q4_0 at 4,096 tokens of context needs about")
    assert f"Weights {format_gb(huge_shape.weights_bytes)}" in text
    assert f"{format_gb(laptop.available_ram)} of RAM available" in text
    assert error.model_path == "/models/huge.gguf"
    assert error.choices == (LoadChoice.CPU,)  # no GPU: nothing to put part of it on


def test_with_a_usable_gpu_partly_on_gpu_is_offered_too(huge_shape: ModelShape) -> None:
    gaming = machine(RTX3070)
    with pytest.raises(ModelDoesNotFit) as refused:
        preflight(huge_shape, gaming, 4096)
    assert refused.value.choices == (LoadChoice.CPU, LoadChoice.PARTLY_GPU)
    assert "on the NVIDIA GeForce RTX 3070" in str(refused.value)


def test_a_model_that_fits_is_planned_not_refused(starter_model: Path) -> None:
    shape = ModelShape.from_header(read_gguf_header(starter_model))
    plan = preflight(shape, machine(LAPTOP), 4096)
    assert plan.fits and plan.n_gpu_layers == 0
    assert plan.reason == "No GPU backend in this build: CPU only"


def test_load_on_cpu_anyway_plans_no_gpu_layers_and_says_why(huge_shape: ModelShape) -> None:
    plan = preflight(huge_shape, machine(RTX3070), 4096, choice=LoadChoice.CPU)
    assert plan.n_gpu_layers == 0 and plan.backend_used == "cpu"
    assert plan.llama_kwargs()["n_gpu_layers"] == 0
    assert plan.reason.startswith("Loaded on the CPU as you chose, although it does not fit")
    assert format_gb(plan.estimate.total_bytes) in plan.reason


def test_partly_on_gpu_puts_as_many_layers_as_the_gpu_holds(huge_shape: ModelShape) -> None:
    gaming = machine(RTX3070)
    plan = preflight(huge_shape, gaming, 4096, choice=LoadChoice.PARTLY_GPU, override=0)
    total = huge_shape.n_layers + 1
    assert 0 < plan.n_gpu_layers < total  # the saved 0 layers gave way to the choice
    assert with_headroom(plan.estimate.gpu_bytes) <= gaming.gpus[0].free_vram
    assert plan.reason.startswith(
        f"Loaded with {plan.n_gpu_layers} of {total} layers on the GPU as you chose, although"
    )


def test_partly_on_gpu_needs_a_gpu(huge_shape: ModelShape) -> None:
    with pytest.raises(ValueError, match="no GPU"):
        preflight(huge_shape, machine(LAPTOP), 4096, choice=LoadChoice.PARTLY_GPU)


def test_without_a_choice_it_only_plans(huge_shape: ModelShape) -> None:
    plan = preflight(huge_shape, machine(LAPTOP), 4096, choice=None)
    assert not plan.fits and plan.reason.startswith("Does not fit:")


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    opened = Hearth.open(hearth_paths())
    yield opened
    opened.close()


def engine_children() -> list[psutil.Process]:
    return [child for child in psutil.Process().children(recursive=True) if _is_engine(child)]


def _is_engine(child: psutil.Process) -> bool:
    try:
        return "multiprocessing" in " ".join(child.cmdline()) and child.is_running()
    except psutil.Error:  # ended meanwhile, or a zombie another test left unreaped
        return False


def test_hearth_refuses_before_any_engine_starts(hearth: Hearth, huge_model: Path) -> None:
    use_recorded_machine(hearth, machine(LAPTOP))
    model = hearth.resolve_model(str(huge_model))
    before = {child.pid for child in engine_children()}
    with pytest.raises(ModelDoesNotFit):
        hearth.load_request(model, LoadChoice.CHECK)
    assert hearth.engine.info is None
    assert {child.pid for child in engine_children()} == before
    forced = hearth.load_request(model, LoadChoice.CPU)
    assert forced.n_gpu_layers == 0 and not forced.flash_attn
    assert "as you chose" in forced.offload_reason
    # Without a choice it plans only, as `hearth system` needs.
    assert hearth.load_request(model).offload_reason.startswith("Does not fit:")


def test_a_refused_model_loads_on_the_cpu_when_the_user_insists(
    hearth: Hearth, tmp_path: Path
) -> None:
    # A real, tiny model and a recorded machine with almost no memory free.
    tiny = write_tiny_llama(tmp_path / "tiny.gguf")
    use_recorded_machine(hearth, replace(machine(LAPTOP), available_ram=200 * MIB))
    model = hearth.resolve_model(str(tiny))
    with pytest.raises(ModelDoesNotFit) as refused:
        hearth.load_request(model, LoadChoice.CHECK)
    assert "200 MB of RAM available" in str(refused.value)
    engine: Engine = hearth.engine
    info = engine.load(hearth.load_request(model, LoadChoice.CPU))
    assert info.backend == "CPU" and info.n_gpu_layers == 0
    assert info.offload_reason.startswith("Loaded on the CPU as you chose")
    stats = engine.generate(
        [{"role": "user", "content": "hello"}],
        SamplingParams(max_tokens=4, seed=1),
        lambda _text: None,
        ignore_eos=True,
    )
    assert stats.completion_tokens == 4


def test_a_draft_model_is_counted_beside_the_model(hearth: Hearth, tmp_path: Path) -> None:
    target = write_tiny_llama(tmp_path / "target.gguf")
    draft = write_tiny_llama(tmp_path / "draft.gguf")
    shape = ModelShape.from_header(read_gguf_header(target))
    laptop = machine(LAPTOP)
    alone = preflight(shape, laptop, 2048, choice=None, flash_attn=True).estimate.cpu_bytes
    # Room for the model with its headroom, and for half of its draft (the same size).
    tight = replace(laptop, available_ram=with_headroom(alone) + alone // 2)
    use_recorded_machine(hearth, tight)
    model = hearth.resolve_model(str(target))
    settings = hearth.model_settings.get(hearth.model_key(target))
    settings.context_length = 2048
    settings.speculative, settings.draft_model = "lookup", None
    hearth.model_settings.save(settings)
    assert hearth.load_request(model, LoadChoice.CHECK).flash_attn  # fits without a draft

    settings.speculative, settings.draft_model = "draft", str(draft)
    hearth.model_settings.save(settings)
    with pytest.raises(ModelDoesNotFit):
        hearth.load_request(model, LoadChoice.CHECK)
    use_recorded_machine(hearth, laptop)
    request = hearth.load_request(model, LoadChoice.CHECK)
    assert request.draft_model_path == str(draft)
    assert f"A draft model of {format_gb(alone)} is counted beside it." in request.offload_reason
