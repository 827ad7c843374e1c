"""Engine figures that tests must not time: cancel latency and the KV cache across turns.

1. Cancel: while a long reply streams, ``Engine.cancel()`` is called from another thread;
   prints how long ``generate`` took to return (target: under 200 ms), over N tries.
2. Turns: a 20-turn conversation on the real starter model; prints, for turns 1, 5, 10
   and 20, the prompt size, the tokens actually evaluated and the time to first token.
   With the KV cache kept between turns, turn 20 should start about as fast as turn 1.

    .venv/bin/python bench/bench_engine.py [--model PATH] [--tries 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams
from app.library.starter import starter_model_path


def _one_cancel(engine: Engine, attempt: int) -> float:
    asked_at: list[float] = []
    count = [0]

    def on_text(_text: str) -> None:
        count[0] += 1
        if count[0] == 10 and not asked_at:
            asked_at.append(time.perf_counter())
            threading.Thread(target=engine.cancel).start()

    engine.generate(
        [{"role": "user", "content": f"Write a long story, number {attempt}."}],
        SamplingParams(seed=attempt, max_tokens=4000),
        on_text,
        ignore_eos=True,
    )
    return (time.perf_counter() - asked_at[0]) * 1000


def cancel_latencies(engine: Engine, tries: int) -> list[float]:
    return [_one_cancel(engine, attempt) for attempt in range(tries)]


def turns(engine: Engine) -> list[tuple[int, int, int, float]]:
    messages: list[dict[str, str]] = [{"role": "system", "content": "You are concise."}]
    rows = []
    for turn in range(1, 21):
        messages.append({"role": "user", "content": f"Question {turn}: name a city and why."})
        reply: list[str] = []
        stats = engine.generate(messages, SamplingParams(seed=turn, max_tokens=48), reply.append)
        messages.append({"role": "assistant", "content": "".join(reply)})
        rows.append((turn, stats.prompt_tokens, stats.prompt_eval_tokens, stats.ttft_ms))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(starter_model_path()))
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    engine = Engine()
    try:
        engine.load(LoadRequest(args.model, n_ctx=8192))
        latencies = cancel_latencies(engine, args.tries)
        print(
            f"cancel -> generate returned: median {statistics.median(latencies):.0f} ms, "
            f"worst {max(latencies):.0f} ms over {len(latencies)} tries (target < 200 ms)"
        )
        print("\nturn  prompt tokens  evaluated  time to first token")
        for turn, prompt, evaluated, ttft in turns(engine):
            if turn in (1, 2, 5, 10, 20):
                print(f"{turn:>4}  {prompt:>13}  {evaluated:>9}  {ttft:>10.0f} ms")
    finally:
        engine.unload()
    return 0


if __name__ == "__main__":
    sys.exit(main())
