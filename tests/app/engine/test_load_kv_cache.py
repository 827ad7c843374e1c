"""A quantized KV cache per model: the starter loads with q8_0 and answers, with half
the cache memory; a combination llama.cpp refuses ends in a message, not a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.errors import ModelLoadError
from app.engine.protocol import LoadRequest, SamplingParams
from app.hearth import Hearth
from app.library.fit import ModelShape, kv_cache_bytes
from app.library.gguf_header import read_gguf_header
from app.paths import hearth_paths
from tests.support.tiny_gguf import write_tiny_llama


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    opened = Hearth.open(hearth_paths())
    yield opened
    opened.close()


def _answer(engine: Engine) -> str:
    parts: list[str] = []
    engine.generate(
        [{"role": "user", "content": "Name a colour."}],
        SamplingParams(max_tokens=8, seed=3, temperature=0.0),
        parts.append,
        ignore_eos=True,
    )
    return "".join(parts)


def test_the_starter_loads_with_a_q8_0_cache_and_answers(hearth: Hearth, starter_model: Path):
    model = hearth.resolve_model(str(starter_model))
    key = hearth.model_key(starter_model)
    settings = hearth.model_settings.get(key)
    f16_request = hearth.load_request(model)
    settings.kv_cache_type = "q8_0"
    hearth.model_settings.save(settings)

    request = hearth.load_request(model)
    assert request.kv_type == "q8_0" and request.flash_attn  # llama.cpp needs it for V
    assert request.n_ctx == f16_request.n_ctx
    info = hearth.engine.load(request)
    assert info.kv_type == "q8_0"
    assert _answer(hearth.engine).strip()
    # The cache takes about 0.53 times the f16 cache's memory.
    f16_bytes = kv_cache_bytes(ModelShape.from_header(read_gguf_header(starter_model)), info.n_ctx)
    assert info.kv_bytes / f16_bytes == pytest.approx(0.53, abs=0.01)


def test_a_quantized_cache_without_flash_attention_is_refused_in_words(
    engine: Engine, starter_model: Path
):
    request = LoadRequest(str(starter_model), n_ctx=512, kv_type="q8_0", flash_attn=False)
    with pytest.raises(ModelLoadError) as refused:
        engine.load(request)
    assert "needs flash attention" in str(refused.value)
    assert "f16" in str(refused.value)
    # The same engine then loads the model as it can be loaded.
    info = engine.load(LoadRequest(str(starter_model), n_ctx=512))
    assert info.kv_type == "f16" and _answer(engine).strip()


def test_heads_too_narrow_for_q4_0_are_refused_in_words(engine: Engine, tmp_path: Path):
    # The tiny model's heads are 16 values wide; q4_0 packs blocks of 32.
    tiny = write_tiny_llama(tmp_path / "tiny.gguf")
    with pytest.raises(ModelLoadError) as refused:
        engine.load(LoadRequest(str(tiny), n_ctx=256, kv_type="q4_0", flash_attn=True))
    assert "refused a q4_0 KV cache" in str(refused.value)
    assert "multiple of 32" in str(refused.value)
