"""Load to ready: Hearth's engine against llama.cpp's own tools, in back-to-back pairs.

Each pair loads the same model with the same context, KV cache type and threads, once
through Hearth and once through the baseline, in alternating order; the table gives
each side's median and the median of the pairs' ratios (Hearth ÷ baseline, so 1.00 is
parity and higher is slower). Sides:

* ``hearth``: :meth:`Engine.load` from the call to the ``Loaded`` event: a new host
  process (Python, imports, llama.cpp), the header, the model, the KV cache, the template;
* ``hearth-prestarted``: the same, taking over a host started ahead
  (:func:`app.engine.process.prestart_host`, as while the user chooses a model);
* ``bare``: a Python process that only imports llama-cpp-python's bindings and creates
  the model and the context through the C API, timed from its start to the context
  being ready: the same library, without Hearth;
* ``bare-c-api``: that process's C calls alone (model and context), without the
  Python start and imports: what any host process, started ahead, still has to do;
* ``llama-cli``: llama.cpp's ``llama-completion`` (or ``llama-cli``) from the same
  sources, timed from its start to the ``system_info`` line it logs once the model and
  the context are ready. Its warm-up decode is left out (``--no-warmup``; Hearth does
  none), unless ``--cli-warmup``: on a busy CPU that decode alone varies from 0.02 s
  to several seconds for the starter. Pass the binary with
  ``--llama-cli``; build it in bench_offload.py's build folder with
  ``cmake --build ~/.cache/hearth/llama-bench/build --target llama-completion``.

Models: the starter (SmolLM2-135M Q4_1) and a synthetic Llama-2-7B-shaped Q4_0 file
(``bench/offload_models.py``; 3.8 GB, written to a scratch folder, ``--keep`` keeps it).
Each file is read into the page cache, and loaded once uncounted, before the first
pair, so both sides map a cached file. Run it under ``nice -n 10`` on a shared
machine and read the ratios.

    .venv/bin/python bench/bench_load.py --models starter,7b --pairs 5 \\
        --llama-cli ~/.cache/hearth/llama-bench/build/bin/llama-completion
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.engine import Engine
from app.engine.kv_cache import llama_arguments
from app.engine.process import prestart_host, spare_host_pid
from app.engine.protocol import LoadRequest

if TYPE_CHECKING:
    from bench.offload_models import BenchModel

# How long the user "chooses" before a prestarted host is used: enough for its imports.
CHOOSING_SECONDS = 3.0

_BARE = """
import sys, time
started = float(sys.argv[1])
import llama_cpp as l
l.llama_backend_init()
imported = time.perf_counter()
params = l.llama_model_default_params()
model = l.llama_model_load_from_file(sys.argv[2].encode(), params)
ctx_params = l.llama_context_default_params()
ctx_params.n_ctx = int(sys.argv[3])
ctx_params.n_threads = ctx_params.n_threads_batch = int(sys.argv[4])
ctx_params.type_k = ctx_params.type_v = int(sys.argv[5])
ctx_params.flash_attn_type = int(sys.argv[6])
ctx = l.llama_init_from_model(model, ctx_params)
assert ctx, "no context"
print(time.time() - started, time.perf_counter() - imported, flush=True)
"""


@dataclass
class Side:
    name: str
    seconds: list[float] = field(default_factory=list)
    # Hearth only: the seconds inside the host (header to ModelInfo), per load.
    in_host: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def hearth_load(request: LoadRequest, prestarted: bool) -> tuple[float, float]:
    engine = Engine()
    try:
        if prestarted:
            prestart_host()
            time.sleep(CHOOSING_SECONDS)  # the user choosing; the host imports meanwhile
            assert spare_host_pid() is not None
        started = time.perf_counter()
        info = engine.load(request)
        return time.perf_counter() - started, info.load_seconds
    finally:
        engine.unload()


def bare_load(request: LoadRequest, threads: int) -> tuple[float, float]:
    """From the process's start, and from its imports done, to the context ready."""
    kv_id = llama_arguments(request.kv_type).get("type_k", 1)
    command = [
        sys.executable,
        "-c",
        _BARE,
        repr(time.time()),
        request.model_path,
        str(request.n_ctx),
        str(threads),
        str(kv_id),
        "1" if request.flash_attn else "0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    total, c_api = result.stdout.strip().splitlines()[-1].split()
    return float(total), float(c_api)


def llama_cli_load(binary: Path, request: LoadRequest, threads: int, warmup: bool) -> float:
    """From the start of the process to its ``system_info`` line: model and context are
    ready (and the warm-up decode done, with ``warmup``); the process is then ended."""
    command = [str(binary), "-m", request.model_path, "-c", str(request.n_ctx)]
    command += ["-t", str(threads), "-n", "1", "-p", "Hi", "-no-cnv", "--no-display-prompt"]
    if request.kv_type != "f16":
        command += ["-ctk", request.kv_type, "-ctv", request.kv_type]
    command += ["-fa", "on" if request.flash_attn else "off"]
    if not warmup:
        command.append("--no-warmup")
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if b"system_info:" in line:
                return time.perf_counter() - started
        raise RuntimeError(f"{binary.name} ended before its model was ready")
    finally:
        process.kill()
        process.wait()


def measure(
    model: BenchModel, args: argparse.Namespace, n_ctx: int
) -> tuple[list[Side], dict[str, float]]:
    quantized = args.kv != "f16"
    request = LoadRequest(
        str(model.path), n_ctx=n_ctx, n_threads=args.threads, kv_type=args.kv, flash_attn=quantized
    )
    hearth, prestarted = Side("hearth"), Side("hearth-prestarted")
    c_api = Side("bare-c-api")  # the bare process's C calls only: no process start
    baselines = [Side("bare"), c_api]
    if args.llama_cli:
        baselines.append(Side(Path(args.llama_cli).name))
    # One load first, not counted: the first load after the file was read pays for
    # memory the kernel has not handed out yet, whichever side it is.
    hearth_load(request, prestarted=False)
    for pair in range(args.pairs):
        runs = [("hearth", hearth), ("hearth-prestarted", prestarted)]
        runs += [(side.name, side) for side in baselines if side is not c_api]
        if pair % 2:
            runs.reverse()
        for name, side in runs:
            if name.startswith("hearth"):
                total, inside = hearth_load(request, prestarted=name == "hearth-prestarted")
                side.seconds.append(total)
                side.in_host.append(inside)
            elif name == "bare":
                total, calls = bare_load(request, args.threads)
                side.seconds.append(total)
                c_api.seconds.append(calls)
            else:
                cli = Path(args.llama_cli)
                side.seconds.append(llama_cli_load(cli, request, args.threads, args.cli_warmup))
        print(f"  pair {pair + 1}: " + ", ".join(f"{n} {s.seconds[-1]:.3f}" for n, s in runs))
    ratios = {}
    for mine in (hearth, prestarted):
        for base in baselines:
            pairs = zip(mine.seconds, base.seconds, strict=True)
            ratios[f"{mine.name} / {base.name}"] = statistics.median(a / b for a, b in pairs)
    return [hearth, prestarted, *baselines], ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", default="starter,7b")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=0, help="0: Hearth's default for the model")
    parser.add_argument("--kv", default="f16", choices=("f16", "q8_0", "q4_0"))
    parser.add_argument("--llama-cli", default="", help="llama-completion or llama-cli binary")
    parser.add_argument(
        "--cli-warmup", action="store_true", help="count llama.cpp's warm-up decode as loading"
    )
    parser.add_argument("--work-dir", default="")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic files")
    parser.add_argument("--json", default="", help="also write the figures here")
    args = parser.parse_args()
    # Imported here: a spawned host re-imports this file, and needs none of it.
    from bench.offload_models import delete_model, plan_models, settle_model, write_model

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="hearth-bench-load-"))
    report = []
    for model in plan_models(args.models.split(","), work, {}):
        write_model(model)
        settle_model(model)
        trained = model.shape.n_ctx_train if model.shape else 8192
        n_ctx = args.ctx or min(trained, 8192)
        print(f"{model.label}: context {n_ctx:,}, KV {args.kv}, {args.threads} threads")
        sides, ratios = measure(model, args, n_ctx)
        for side in sides:
            inside = f" (in the host {statistics.median(side.in_host):.3f})" if side.in_host else ""
            print(f"  {side.name:>20}: median {side.median:.3f} s{inside}")
        for name, ratio in ratios.items():
            print(f"  {name:>36}: {ratio:.2f}x")
        report.append(
            {
                "model": model.label,
                "n_ctx": n_ctx,
                "kv": args.kv,
                "sides": [asdict(side) | {"median": side.median} for side in sides],
                "ratios": ratios,
            }
        )
        if not args.keep:
            delete_model(model)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
