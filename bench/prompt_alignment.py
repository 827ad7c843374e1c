"""Why a long prompt's first token was slower than a bare decode of the same tokens.

A prompt evaluated after a kept prefix (the template's opening, the earlier turns) in
batches counted from the prefix's end attends, in each batch, over KV cells padded up
to a multiple of 256 past the batch's end; batches ending on multiples of the ubatch
size do not (``app.engine.prompt_chunks``). This times, in CPU time of the decoding
thread (which the machine's other work does not inflate as it does wall time), the
same tokens evaluated three ways, alternating:

* ``empty``: the tokens alone from an empty cache (what llama-bench ``-p`` times);
* ``prefix``: after a 24-token prefix, batches of n_batch from the prefix's end (before);
* ``aligned``: after the same prefix, batches as ``prompt_chunks`` cuts them (now).

    nice -n 19 .venv/bin/python bench/prompt_alignment.py [--tokens 1990] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

PREFIX = 24
N_BATCH = 512


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1990)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import llama_cpp

    from app.engine.prompt_chunks import prompt_chunks
    from app.library.starter import starter_model_path

    llm = llama_cpp.Llama(
        model_path=str(starter_model_path()),
        n_ctx=PREFIX + args.tokens + 256,
        n_batch=N_BATCH,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        verbose=False,
    )
    context = llm._ctx.ctx
    memory = llama_cpp.llama_get_memory(context)
    vocabulary = llm.n_vocab()
    tokens = [100 + index % (vocabulary - 200) for index in range(PREFIX + args.tokens)]

    def decode(part: list[int]) -> None:
        array = (llama_cpp.llama_token * len(part))(*part)
        if llama_cpp.llama_decode(context, llama_cpp.llama_batch_get_one(array, len(part))):
            raise RuntimeError("llama_decode failed")

    def batches(kind: str) -> list[tuple[int, int]]:
        if kind == "empty":
            return [(s, min(args.tokens, s + N_BATCH)) for s in range(0, args.tokens, N_BATCH)]
        if kind == "prefix":
            end = len(tokens)
            return [(s, min(end, s + N_BATCH)) for s in range(PREFIX, end, N_BATCH)]
        return list(prompt_chunks(PREFIX, len(tokens), N_BATCH, N_BATCH))

    def run(kind: str) -> float:
        llama_cpp.llama_memory_clear(memory, True)
        if kind != "empty":
            decode(tokens[:PREFIX])
        started = time.thread_time()
        for first, past in batches(kind):
            decode(tokens[first:past])
        return (time.thread_time() - started) * 1000

    kinds = ["empty", "prefix", "aligned"]
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for index in range(args.rounds):
        for kind in kinds if index % 2 == 0 else kinds[::-1]:
            times[kind].append(run(kind))
        print("  ".join(f"{kind} {values[-1]:.0f} ms" for kind, values in times.items()))
    report: dict[str, Any] = {kind: statistics.median(values) for kind, values in times.items()}
    for kind, values in times.items():
        spread = ", ".join(f"{value:.0f}" for value in values)
        print(f"{kind}: median {report[kind]:.0f} ms CPU ({spread})")
    print(
        f"prefix - empty: {report['prefix'] - report['empty']:+.0f} ms;"
        f" aligned - empty: {report['aligned'] - report['empty']:+.0f} ms"
    )


if __name__ == "__main__":
    main()
