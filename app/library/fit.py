"""Will this model run on this computer, and where? Memory estimates and a verdict.

The memory a loaded model needs is the sum of four parts:

* **weights**: the size of the GGUF's tensor data (all parts of a split model);
* **KV cache**: ``n_layers × n_ctx × n_head_kv × (head_dim_k + head_dim_v)`` elements
  (K and V), at 2 bytes each in f16, 34/32 in q8_0 and 18/32 in q4_0. llama.cpp
  rounds the context up to a multiple of 256, and so does this estimate;
* **compute buffers**: llama.cpp's scratch memory for one batch of ``n_ubatch = 512``
  tokens. Its largest tensors are the logits (``n_vocab`` floats per token) and,
  without flash attention, the attention scores (``n_head × n_ctx`` floats per
  token). The estimate is ``n_ubatch × 4 bytes × (max(n_vocab, scores) + 8 × n_embd)``,
  the ``8 × n_embd`` covering the feed-forward and residual activations. It lands a
  little above what llama.cpp reports (Llama-3-8B, 8k context: 576 vs 560 MiB
  without flash attention, 314 vs 258 MiB with it);
* **runtime**: a fixed 400 MB for the GPU context, cuBLAS / Metal workspaces and the
  engine process itself, counted where the compute runs.

Where the parts go follows llama.cpp: ``n_gpu_layers = k`` offloads the output layer
first, then the last ``k - 1`` transformer blocks with their share of the KV cache;
``k = n_layers + 1`` is everything. The compute buffers and runtime go to the GPU
as soon as one layer does; blocks left on the CPU need a compute buffer of their
own. The token embeddings always stay in RAM. A model
whose output head shares the embeddings (``output_tied``) gets a copy of them on
the GPU.

A side fits when its need plus a margin of 10 % and 512 MB is within its budget: the
GPU's free memory (for Apple Silicon, Metal's working set, see
:mod:`app.hardware.apple`) and the RAM available. On unified memory the two budgets
are the same RAM, so what the GPU takes is subtracted from the RAM's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from app.hardware.machine import GpuDevice, MachineInfo
from app.hardware.units import MIB, format_gb
from app.library.gguf_header import GGUFHeader

# Bytes per KV cache element as (numerator, denominator): quantized types pack 32
# values with a 2-byte scale (and a 2-byte minimum for the _1 types).
KV_TYPE_SIZES: dict[str, tuple[int, int]] = {
    "f32": (4, 1),
    "f16": (2, 1),
    "bf16": (2, 1),
    "q8_0": (34, 32),
    "q5_1": (24, 32),
    "q5_0": (22, 32),
    "q4_1": (20, 32),
    "q4_0": (18, 32),
    "iq4_nl": (18, 32),
}
# ggml_type ids, for llama-cpp-python's type_k / type_v.
KV_TYPE_IDS = {
    "f32": 0,
    "f16": 1,
    "q4_0": 2,
    "q4_1": 3,
    "q5_0": 6,
    "q5_1": 7,
    "q8_0": 8,
    "iq4_nl": 20,
    "bf16": 30,
}
CONTEXT_PADDING = 256
N_UBATCH = 512
RUNTIME_OVERHEAD = 400 * MIB
HEADROOM_FRACTION = 0.10
HEADROOM_FIXED = 512 * MIB
# Backends on which flash attention is the faster path, so it is on by default.
FLASH_ATTN_BACKENDS = ("cuda", "metal")
# Used only without tensor sizes: feed-forward width when the catalog gives none.
DEFAULT_FF_RATIO = 3.5
# recommend_quant: below this many bits per weight quality drops fast; above the
# cap (Q8_0) more bits cost memory and speed for no visible gain.
MIN_GOOD_BITS = 3.5
MAX_USEFUL_BITS = 8.5


class FitVerdict(Enum):
    FITS_GPU = "fits on GPU"
    PARTIAL_GPU = "partly on GPU"
    CPU_ONLY = "CPU only, slow"
    DOES_NOT_FIT = "does not fit"

    @property
    def label(self) -> str:
        return self.value

    @property
    def runs(self) -> bool:
        return self is not FitVerdict.DOES_NOT_FIT


@dataclass(frozen=True)
class ModelShape:
    """The numbers of a model that decide its memory needs.

    Built by :meth:`from_header` (a file on disk, with exact per-tensor sizes) or
    directly from catalog numbers; then ``layer_bytes`` / ``input_bytes`` /
    ``output_bytes`` are estimated from the architecture, assuming every tensor is
    quantized alike. Either way the parts add up to the file:
    ``weights_bytes == input_bytes + sum(layer_bytes) + (0 if output_tied else output_bytes)``
    (a tied head is a copy llama.cpp makes, not part of the file).
    """

    n_layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_vocab: int
    weights_bytes: int
    context_length_trained: int = 0
    head_dim_k: int = 0  # 0: n_embd / n_head
    head_dim_v: int = 0  # 0: head_dim_k
    n_ff: int = 0  # 0: unknown; only used for estimates
    name: str = ""  # for messages: "8B Q4_K_M"
    output_tied: bool = False  # the output head reuses the token embeddings
    layer_bytes: tuple[int, ...] = ()  # per transformer block; () = estimate
    input_bytes: int = -1  # token embeddings and other tensors kept in RAM; -1 = estimate
    output_bytes: int = -1  # output head and final norm; -1 = estimate
    n_params: int = 0  # 0 = estimate

    def __post_init__(self) -> None:
        head_k = self.head_dim_k or (self.n_embd // self.n_head if self.n_head else 0)
        object.__setattr__(self, "head_dim_k", head_k)
        object.__setattr__(self, "head_dim_v", self.head_dim_v or head_k)
        if not self.layer_bytes or self.input_bytes < 0 or self.output_bytes < 0:
            self._estimate_parts()

    def _estimate_parts(self) -> None:
        n_ff = self.n_ff or round(DEFAULT_FF_RATIO * self.n_embd)
        attention = self.n_embd * (
            self.n_head * self.head_dim_k  # Q
            + self.n_head_kv * (self.head_dim_k + self.head_dim_v)  # K, V
            + self.n_head * self.head_dim_v  # output projection
        )
        per_layer = attention + 3 * self.n_embd * n_ff
        embedding = self.n_vocab * self.n_embd
        params = self.n_layers * per_layer + embedding * (1 if self.output_tied else 2)
        bytes_per_param = self.weights_bytes / params if params else 0.0
        input_bytes = round(embedding * bytes_per_param)
        output_bytes = input_bytes
        in_file = input_bytes + (0 if self.output_tied else output_bytes)
        layer = (self.weights_bytes - in_file) // self.n_layers if self.n_layers else 0
        layers = [layer] * self.n_layers
        if layers:  # the rounding remainder, so the parts add up to the file
            layers[-1] += self.weights_bytes - in_file - layer * self.n_layers
        object.__setattr__(self, "layer_bytes", tuple(layers))
        object.__setattr__(self, "input_bytes", input_bytes)
        object.__setattr__(self, "output_bytes", output_bytes)
        if not self.n_params:
            object.__setattr__(self, "n_params", params)

    @property
    def n_embd_kv(self) -> int:
        """K plus V elements per token per layer."""
        return self.n_head_kv * (self.head_dim_k + self.head_dim_v)

    @property
    def bits_per_weight(self) -> float:
        return self.weights_bytes * 8 / self.n_params if self.n_params else 0.0

    def with_weights(self, weights_bytes: int, name: str = "") -> ModelShape:
        """The same architecture quantized to another size (another quant's files)."""
        scale = weights_bytes / self.weights_bytes if self.weights_bytes else 0.0
        layers = [round(b * scale) for b in self.layer_bytes]
        input_bytes = round(self.input_bytes * scale)
        output_bytes = round(self.output_bytes * scale)
        in_file = input_bytes + (0 if self.output_tied else output_bytes)
        if layers:
            layers[-1] += weights_bytes - in_file - sum(layers)
        return replace(
            self,
            weights_bytes=weights_bytes,
            name=name or self.name,
            layer_bytes=tuple(layers),
            input_bytes=input_bytes,
            output_bytes=output_bytes,
        )

    @classmethod
    def from_header(cls, header: GGUFHeader, *more_parts: GGUFHeader) -> ModelShape:
        """From a GGUF header (plus the other parts' headers of a split model)."""
        return _shape_from_headers([header, *more_parts])


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_type: str = "f16") -> int:
    """The KV cache of all layers at ``n_ctx`` tokens (rounded up as llama.cpp does)."""
    return shape.n_layers * _kv_layer_bytes(shape, n_ctx, kv_type)


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, flash_attn: bool) -> int:
    """Scratch memory for one batch; see the module docstring for the formula."""
    n_ctx = padded_context(n_ctx)
    tokens = min(N_UBATCH, n_ctx)
    scores = 0 if flash_attn else shape.n_head * n_ctx
    return tokens * 4 * (max(shape.n_vocab, scores) + 8 * shape.n_embd)


def padded_context(n_ctx: int) -> int:
    return -(-max(1, n_ctx) // CONTEXT_PADDING) * CONTEXT_PADDING


def with_headroom(n_bytes: int) -> int:
    """What must be free for ``n_bytes`` to fit: 10 % and 512 MB more."""
    return int(n_bytes * (1 + HEADROOM_FRACTION)) + HEADROOM_FIXED


def default_flash_attn(backend: str, kv_type: str = "f16") -> bool:
    """On for CUDA and Metal; also wherever the KV cache is quantized (llama.cpp needs it)."""
    return backend in FLASH_ATTN_BACKENDS or kv_type not in ("f16", "f32", "bf16")


def _kv_layer_bytes(shape: ModelShape, n_ctx: int, kv_type: str) -> int:
    try:
        numerator, denominator = KV_TYPE_SIZES[kv_type]
    except KeyError:
        known = ", ".join(KV_TYPE_SIZES)
        raise ValueError(f"unknown KV cache type {kv_type!r}; one of {known}") from None
    elements = padded_context(n_ctx) * shape.n_embd_kv
    return -(-elements * numerator // denominator)


@dataclass(frozen=True)
class Placement:
    """Bytes on each side for a given number of GPU layers."""

    n_gpu_layers: int
    gpu_bytes: int
    cpu_bytes: int


def place(
    shape: ModelShape, n_ctx: int, n_gpu_layers: int, kv_type: str, flash_attn: bool
) -> Placement:
    """Splits the memory between GPU and RAM the way llama.cpp assigns layers."""
    total_layers = shape.n_layers + 1
    k = max(0, min(n_gpu_layers, total_layers))
    blocks_on_gpu = max(0, k - 1)  # the output layer is offloaded first
    blocks_on_cpu = shape.n_layers - blocks_on_gpu
    kv_layer = _kv_layer_bytes(shape, n_ctx, kv_type)
    compute = compute_buffer_bytes(shape, n_ctx, flash_attn)
    gpu_layer_bytes = sum(shape.layer_bytes[blocks_on_cpu:])
    cpu_layer_bytes = sum(shape.layer_bytes[:blocks_on_cpu])
    if k == 0:
        output_in_ram = 0 if shape.output_tied else shape.output_bytes
        cpu = shape.input_bytes + output_in_ram + cpu_layer_bytes
        cpu += blocks_on_cpu * kv_layer + compute + RUNTIME_OVERHEAD
        return Placement(0, 0, cpu)
    gpu = shape.output_bytes + gpu_layer_bytes + blocks_on_gpu * kv_layer
    gpu += compute + RUNTIME_OVERHEAD
    cpu = shape.input_bytes + cpu_layer_bytes + blocks_on_cpu * kv_layer
    if blocks_on_cpu:  # the CPU's blocks need their own scratch memory
        cpu += compute
    return Placement(k, gpu, cpu)


@dataclass(frozen=True)
class FitEstimate:
    """The memory a model needs at a context length, where it goes, and the verdict."""

    name: str
    n_ctx: int
    kv_type: str
    flash_attn: bool
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    overhead_bytes: int
    n_gpu_layers: int
    n_layers_total: int  # transformer blocks + the output layer, as llama.cpp counts
    gpu_bytes: int
    cpu_bytes: int
    backend: str  # 'cpu' or the GPU's backend
    device_name: str | None  # the GPU, when one is usable
    gpu_free: int
    ram_available: int
    unified_memory: bool
    verdict: FitVerdict
    layers_chosen: bool = False  # n_gpu_layers came from the caller, not from the estimate

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes + self.overhead_bytes

    @property
    def all_on_gpu(self) -> bool:
        return self.n_gpu_layers >= self.n_layers_total

    def explain(self) -> str:
        """Plain words with the numbers, for a tooltip."""
        name = self.name or "This model"
        lines = [
            f"{_capitalized(self.verdict.label)}: {name} at {self.n_ctx:,} tokens of context"
            f" needs about {format_gb(self.total_bytes)}.",
            f"Weights {format_gb(self.weights_bytes)}, context memory (KV cache,"
            f" {self.kv_type}) {format_gb(self.kv_bytes)}{self._kv_saving()}, compute buffers"
            f" {format_gb(self.compute_bytes)}, runtime {format_gb(self.overhead_bytes)}.",
            self._where(),
        ]
        return "\n".join(lines)

    def _kv_saving(self) -> str:
        """The saving against f16, as " (480 MB less than f16)"; "" for f16 and wider."""
        numerator, denominator = KV_TYPE_SIZES[self.kv_type]
        if numerator / denominator >= 2:
            return ""
        f16_bytes = self.kv_bytes * 2 * denominator // numerator
        return f" ({format_gb(f16_bytes - self.kv_bytes)} less than f16)"

    def _gpu_budget_words(self) -> str:
        if self.unified_memory:
            return f"{format_gb(self.gpu_free)} the GPU may use"
        return f"{format_gb(self.gpu_free)} free"

    def _where(self) -> str:
        ram = f"{format_gb(self.ram_available)} of RAM available"
        if self.verdict is FitVerdict.FITS_GPU:
            return (
                f"All {self.n_layers_total} layers on the {self.device_name}"
                f" ({format_gb(self.gpu_bytes)} of {self._gpu_budget_words()})."
            )
        if self.verdict is FitVerdict.PARTIAL_GPU:
            return (
                f"{self.n_gpu_layers} of {self.n_layers_total} layers on the {self.device_name}"
                f" ({format_gb(self.gpu_bytes)} of {self._gpu_budget_words()}); the rest in"
                f" RAM ({format_gb(self.cpu_bytes)}, with {ram})."
            )
        if self.verdict is FitVerdict.CPU_ONLY:
            if self.layers_chosen and self.device_name:
                why = "0 GPU layers were chosen for this model"
            elif self.device_name:
                why = f"the {self.device_name} has too little free memory for even one layer"
            else:
                why = "no GPU that this engine build can use"
            return f"Runs on the processor from RAM ({ram}): {why}."
        gpu = (
            f" and {self._gpu_budget_words()} on the {self.device_name}" if self.device_name else ""
        )
        return f"This computer has {ram}{gpu}. Pick a smaller quantization or a shorter context."


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def estimate_fit(
    shape: ModelShape,
    machine: MachineInfo,
    n_ctx: int,
    *,
    kv_type: str = "f16",
    flash_attn: bool | None = None,
    n_gpu_layers: int | None = None,
) -> FitEstimate:
    """The estimate and verdict; ``n_gpu_layers=None`` picks as many layers as fit."""
    gpu = machine.best_gpu()
    fa = default_flash_attn(gpu.backend if gpu else "cpu", kv_type)
    if flash_attn is not None:
        fa = flash_attn
    if gpu is None:
        k = 0
    elif n_gpu_layers is None:
        k = max_gpu_layers(shape, gpu, n_ctx, kv_type, fa)
    else:
        k = max(0, min(n_gpu_layers, shape.n_layers + 1))
    if k == 0 and flash_attn is None:  # the CPU does the work: its default applies
        fa = default_flash_attn("cpu", kv_type)
    placement = place(shape, n_ctx, k, kv_type, fa)
    return FitEstimate(
        name=shape.name,
        n_ctx=n_ctx,
        kv_type=kv_type,
        flash_attn=fa,
        weights_bytes=shape.weights_bytes,
        kv_bytes=kv_cache_bytes(shape, n_ctx, kv_type),
        compute_bytes=compute_buffer_bytes(shape, n_ctx, fa),
        overhead_bytes=RUNTIME_OVERHEAD,
        n_gpu_layers=k,
        n_layers_total=shape.n_layers + 1,
        gpu_bytes=placement.gpu_bytes,
        cpu_bytes=placement.cpu_bytes,
        backend=gpu.backend if gpu and k else "cpu",
        device_name=gpu.name if gpu else None,
        gpu_free=gpu.free_vram if gpu else 0,
        ram_available=machine.available_ram,
        unified_memory=bool(gpu and gpu.unified_memory),
        verdict=_verdict(placement, shape, machine, gpu),
        layers_chosen=n_gpu_layers is not None,
    )


def max_gpu_layers(
    shape: ModelShape, gpu: GpuDevice, n_ctx: int, kv_type: str, flash_attn: bool
) -> int:
    """The most layers (0 .. n_layers + 1) whose memory fits the GPU with the margin."""
    best = 0
    for k in range(1, shape.n_layers + 2):  # the need grows with k; stop at the first miss
        if with_headroom(place(shape, n_ctx, k, kv_type, flash_attn).gpu_bytes) > gpu.free_vram:
            break
        best = k
    return best


def _verdict(
    placement: Placement, shape: ModelShape, machine: MachineInfo, gpu: GpuDevice | None
) -> FitVerdict:
    k = placement.n_gpu_layers
    gpu_ok = k == 0 or (gpu is not None and with_headroom(placement.gpu_bytes) <= gpu.free_vram)
    ram_budget = machine.available_ram
    if gpu is not None and gpu.unified_memory and k:
        ram_budget -= placement.gpu_bytes  # the GPU's share is the same RAM
    ram_ok = with_headroom(placement.cpu_bytes) <= ram_budget
    if not (gpu_ok and ram_ok):
        return FitVerdict.DOES_NOT_FIT
    if k == 0:
        return FitVerdict.CPU_ONLY
    return FitVerdict.FITS_GPU if k > shape.n_layers else FitVerdict.PARTIAL_GPU


# Off the GPU, speed falls with every extra bit; past about 5.5 bits it is not worth it.
MAX_CPU_BITS = 5.7


def recommend_quant(
    options: Sequence[ModelShape], machine: MachineInfo, n_ctx: int, kv_type: str = "f16"
) -> int | None:
    """Index of the quantization to suggest among ``options`` (one shape per file group).

    The highest-bit option that fits entirely on the GPU. Where nothing does, the
    highest-bit one up to about 5 bits (Q4_K_M, Q5_K_M) that runs: on a CPU every token
    reads all the weights, so a Q8_0 answers at about half a Q4's speed for little gain.
    Options between 3.5 and 8.5 bits per weight come first: below, quality drops fast;
    above Q8_0, more bits buy nothing visible. None if none runs.
    """
    best: tuple[Any, ...] | None = None
    best_index = None
    for index, shape in enumerate(options):
        verdict = estimate_fit(shape, machine, n_ctx, kv_type=kv_type).verdict
        if not verdict.runs:
            continue
        bits = round(shape.bits_per_weight, 1)
        sensible = bits >= MIN_GOOD_BITS or bits == 0
        on_gpu = verdict is FitVerdict.FITS_GPU
        # Off the GPU, bits past the cap count against an option, not just for nothing.
        quality = min(bits, MAX_USEFUL_BITS) if on_gpu else min(bits, 2 * MAX_CPU_BITS - bits)
        key = (sensible, on_gpu, quality, -shape.weights_bytes)
        if best is None or key > best:
            best, best_index = key, index
    return best_index


def _shape_from_headers(headers: Sequence[GGUFHeader]) -> ModelShape:
    first = headers[0]
    n_layers = first.block_count
    sizes = {name: size for header in headers for name, size in _tensor_sizes(header).items()}
    layers = [0] * n_layers
    input_bytes = output_bytes = 0
    for name, size in sizes.items():
        block = _block_index(name)
        if block is not None and block < n_layers:
            layers[block] += size
        elif name.startswith("output"):  # output.weight, output_norm.weight
            output_bytes += size
        else:  # token_embd, rope tables, extra (e.g. draft) blocks: kept in RAM
            input_bytes += size
    tied = "output.weight" not in sizes
    if tied:
        # llama.cpp copies the token embeddings to the output layer's device to serve
        # as the head; the final norm (a few KB) is counted with the input so that the
        # parts in the file still add up to the file.
        input_bytes += output_bytes
        output_bytes = sizes.get("token_embd.weight", 0)
    weights = sum(header.weights_bytes for header in headers)
    head_count = first.head_count
    embedding = first.embedding_length
    n_params = sum(_elements(tensor.shape) for header in headers for tensor in header.tensors)
    return ModelShape(
        n_layers=n_layers,
        n_embd=embedding,
        n_head=head_count,
        n_head_kv=first.head_count_kv,
        n_vocab=_vocab_size(first),
        weights_bytes=weights,
        context_length_trained=first.context_length,
        head_dim_k=int(first.arch_value("attention.key_length", 0) or 0),
        head_dim_v=int(first.arch_value("attention.value_length", 0) or 0),
        n_ff=_first_int(first.arch_value("feed_forward_length", 0)),
        name=_display_name(first),
        output_tied=tied,
        layer_bytes=tuple(layers),
        input_bytes=input_bytes,
        output_bytes=output_bytes,
        n_params=n_params,
    )


def _tensor_sizes(header: GGUFHeader) -> dict[str, int]:
    """Bytes per tensor, from the gaps between offsets (alignment padding included)."""
    ordered = sorted(header.tensors, key=lambda tensor: tensor.offset)
    sizes = {}
    for current, following in zip(ordered, [*ordered[1:], None], strict=True):
        end = following.offset if following is not None else header.weights_bytes
        sizes[current.name] = max(0, end - current.offset)
    return sizes


def _block_index(name: str) -> int | None:
    if not name.startswith("blk."):
        return None
    number = name.split(".", 2)[1]
    return int(number) if number.isdigit() else None


def _elements(shape: tuple[int, ...]) -> int:
    count = 1
    for dimension in shape:
        count *= dimension
    return count


def _first_int(value: Any) -> int:
    if isinstance(value, list):  # per-layer values in some architectures
        return int(max(value)) if value else 0
    return int(value or 0)


def _vocab_size(header: GGUFHeader) -> int:
    size = header.arch_value("vocab_size")
    if size:
        return int(size)
    for tensor in header.tensors:
        if tensor.name == "token_embd.weight" and len(tensor.shape) == 2:
            return int(tensor.shape[1])  # ggml order: (n_embd, n_vocab)
    tokens = header.get("tokenizer.ggml.tokens")
    return len(tokens) if tokens is not None else 0


def _display_name(header: GGUFHeader) -> str:
    """``"8B Q4_K_M"`` from the size label and file type, else the model's own name."""
    size_label = str(header.get("general.size_label") or "")
    quant = _file_type_name(header.get("general.file_type"))
    label = " ".join(part for part in (size_label, quant) if part)
    return label or header.name


def _file_type_name(file_type: Any) -> str:
    if file_type is None:
        return ""
    try:
        import gguf

        name = gguf.LlamaFileType(int(file_type)).name
    except (ImportError, ValueError):
        return ""
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")
