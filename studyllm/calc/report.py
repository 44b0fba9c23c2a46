"""Whole-calculator reports: the memory and the scaling breakdowns shown by the screen and
printed by ``studyllm calc``. Pure functions over the engine; both faces format the result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .memory import (
    BYTES_PER_PARAM,
    activation_bytes,
    course_training_bytes,
    kv_cache_bytes,
    model_state_bytes,
    weights_bytes,
)
from .rules import Comparison, compare_gpus_per_pf_day, compare_training_memory
from .scaling import (
    CHINCHILLA_TOKENS_PER_PARAM,
    ChinchillaSplit,
    chinchilla_approach3_optimal,
    chinchilla_loss,
    chinchilla_optimal,
    get_gpu,
    gpu_days,
    kaplan_loss,
    pf_days,
    training_flops,
)
from .units import format_count, format_sci

TRAIN_PRECISIONS = ("fp32", "fp16", "bf16")


@dataclass(frozen=True)
class MemoryItem:
    key: str          # weights, gradients, optimizer, activations, kv_cache
    label: str
    bytes: float
    formula: str


@dataclass(frozen=True)
class MemoryReport:
    params: float
    precision: str
    train: bool
    zero_stage: int
    num_gpus: int
    gpu: str
    items: tuple[MemoryItem, ...]
    comparisons: tuple[Comparison, ...]
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        """Bytes per GPU."""
        return sum(i.bytes for i in self.items)

    @property
    def gpu_memory_bytes(self) -> float:
        return get_gpu(self.gpu).memory_gb * 1e9

    @property
    def fits(self) -> bool:
        return self.total <= self.gpu_memory_bytes

    @property
    def course_rule_bytes(self) -> float:
        return course_training_bytes(self.params, self.precision)

    def as_dict(self) -> dict:
        return {
            "params": self.params,
            "precision": self.precision,
            "train": self.train,
            "zero_stage": self.zero_stage,
            "num_gpus": self.num_gpus,
            "gpu": self.gpu,
            "per_gpu_bytes": {i.key: i.bytes for i in self.items},
            "total_bytes_per_gpu": self.total,
            "total_GB_per_gpu": self.total / 1e9,
            "fits_on_gpu": self.fits,
            "gpu_memory_GB": self.gpu_memory_bytes / 1e9,
            "course_20x_rule_bytes": self.course_rule_bytes if self.train else None,
            "formulas": {i.key: i.formula for i in self.items},
            "notes": list(self.notes),
            "comparisons": [_comparison_dict(c) for c in self.comparisons],
        }


def _comparison_dict(c: Comparison) -> dict:
    return {"topic": c.topic, "course": {"label": c.course_label, "value": c.course_value},
            "exact": {"label": c.exact_label, "value": c.exact_value}, "unit": c.unit,
            "why": c.why, "extra": {k: v for k, v in c.extra}}


def memory_report(
    params: float,
    precision: str = "bf16",
    *,
    train: bool = False,
    optimizer: str = "adam",
    zero_stage: int = 0,
    num_gpus: int = 1,
    seq_len: float | None = None,
    batch: float = 1,
    layers: int | None = None,
    hidden: int | None = None,
    heads: int | None = None,
    kv_heads: int | None = None,
    recompute: str = "none",
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
    gpu: str = "A100",
) -> MemoryReport:
    """Where the bytes go, per GPU.

    Training: model states (ZeRO accounting; mixed precision when ``precision`` is fp16/bf16)
    plus activations when the architecture (layers, hidden, heads) is known.
    Inference: weights at ``precision`` split over ``num_gpus`` plus the KV cache.
    """
    prec = str(precision).lower()
    if prec not in BYTES_PER_PARAM:
        raise ValueError(f"precision: unknown precision {precision!r} (choose from {', '.join(BYTES_PER_PARAM)})")
    get_gpu(gpu)
    n = int(num_gpus)
    if n < 1 or n != num_gpus:
        raise ValueError(f"gpus: must be a whole number >= 1 (got {num_gpus!r})")
    p = float(params)
    if p <= 0:
        raise ValueError("params: must be greater than zero")
    items: list[MemoryItem] = []
    notes: list[str] = []
    s = float(seq_len) if seq_len is not None else 2048.0
    comparisons: list[Comparison] = []
    if train:
        if prec not in TRAIN_PRECISIONS:
            raise ValueError(f"precision: training uses fp32, fp16 or bf16, not {precision!r}")
        mixed = prec != "fp32"
        ms = model_state_bytes(p, mixed_precision=mixed, optimizer=optimizer, zero_stage=zero_stage, num_gpus=n)
        w_div = f" / {n}" if ms.zero_stage >= 3 else ""
        g_div = f" / {n}" if ms.zero_stage >= 2 else ""
        o_div = f" / {n}" if ms.zero_stage >= 1 else ""
        pp = format_sci(p)
        items += [
            MemoryItem("weights", f"weights ({'fp16/bf16' if mixed else 'fp32'})", ms.weights,
                       f"{pp} × {ms.weight_bytes_per_param:g} B{w_div}"),
            MemoryItem("gradients", "gradients", ms.gradients, f"{pp} × {ms.grad_bytes_per_param:g} B{g_div}"),
            MemoryItem("optimizer", f"optimizer ({optimizer}{' + fp32 master' if mixed else ''})",
                       ms.optimizer_states, f"{pp} × {ms.optimizer_bytes_per_param:g} B{o_div}"),
        ]
        if layers is not None and hidden is not None and heads is not None:
            act = activation_bytes(s, batch, hidden, heads, layers, recompute=recompute,
                                   tensor_parallel=tensor_parallel, sequence_parallel=sequence_parallel)
            items.append(MemoryItem(
                "activations", f"activations (recompute {recompute})", act,
                f"Korthikanti: s={format_sci(s)}, b={format_sci(batch)}, h={hidden}, a={heads}, L={layers}"))
        else:
            notes.append("Activations left out: give layers, hidden size and heads (or a preset) to add them.")
        comparisons.append(compare_training_memory(p, prec))
    else:
        w = weights_bytes(p, prec) / n
        items.append(MemoryItem("weights", f"weights ({prec})", w,
                                f"{format_sci(p)} × {BYTES_PER_PARAM[prec]:g} B" + (f" / {n}" if n > 1 else "")))
        if layers is not None and hidden is not None and heads is not None:
            kvh = kv_heads if kv_heads is not None else heads
            head_dim = hidden / heads
            per_elem = max(BYTES_PER_PARAM[prec], 2.0)
            kv = kv_cache_bytes(batch, s, layers, kvh, head_dim, per_elem) / n
            items.append(MemoryItem(
                "kv_cache", "KV cache", kv,
                f"2 × b={format_sci(batch)} × s={format_sci(s)} × L={layers} × kv_heads={kvh} × "
                f"d={format_sci(head_dim)} × {per_elem:g} B" + (f" / {n}" if n > 1 else "")))
        else:
            notes.append("KV cache left out: give layers, hidden size and heads (or a preset) to add it.")
    return MemoryReport(params=p, precision=prec, train=bool(train), zero_stage=int(zero_stage), num_gpus=n,
                        gpu=get_gpu(gpu).name, items=tuple(items), comparisons=tuple(comparisons),
                        notes=tuple(notes))


@dataclass(frozen=True)
class ScalingReport:
    params: float
    tokens: float
    compute: float
    flops_per_param_token: float
    gpu: str
    mfu: float
    num_gpus: int | None
    optimal: ChinchillaSplit
    approach3: ChinchillaSplit
    comparisons: tuple[Comparison, ...] = field(default=())

    @property
    def pf_days(self) -> float:
        return pf_days(self.compute)

    @property
    def gpu_days(self) -> float:
        return gpu_days(self.compute, self.gpu, self.mfu)

    @property
    def gpu_days_at_peak(self) -> float:
        return gpu_days(self.compute, self.gpu, 1.0)

    @property
    def wall_days(self) -> float | None:
        return self.gpu_days / self.num_gpus if self.num_gpus else None

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params if self.params else math.inf

    @property
    def chinchilla_loss(self) -> float:
        return chinchilla_loss(self.params, self.tokens)

    @property
    def kaplan_loss(self) -> float:
        return kaplan_loss(params=self.params, tokens=self.tokens)

    @property
    def verdict(self) -> str:
        r = self.tokens_per_param
        if r < 0.5 * CHINCHILLA_TOKENS_PER_PARAM:
            return (f"{r:.3g} tokens/param: under-trained by the Chinchilla rule (about 20). For this "
                    f"compute, a {format_count(self.optimal.params)}-param model on "
                    f"{format_count(self.optimal.tokens)} tokens would reach a lower loss.")
        if r > 2 * CHINCHILLA_TOKENS_PER_PARAM:
            return (f"{r:.3g} tokens/param: past the compute-optimal point (about 20). That spends "
                    "extra training compute to get a smaller model that is cheaper to serve.")
        return f"{r:.3g} tokens/param: close to the Chinchilla compute-optimal ratio of about 20."

    def as_dict(self) -> dict:
        return {
            "params": self.params,
            "tokens": self.tokens,
            "compute_flops": self.compute,
            "flops_per_param_token": self.flops_per_param_token,
            "pf_days": self.pf_days,
            "gpu": self.gpu,
            "mfu": self.mfu,
            "gpu_days": self.gpu_days,
            "gpu_days_at_peak": self.gpu_days_at_peak,
            "num_gpus": self.num_gpus,
            "wall_clock_days": self.wall_days,
            "tokens_per_param": self.tokens_per_param,
            "chinchilla_optimal": {"params": self.optimal.params, "tokens": self.optimal.tokens},
            "chinchilla_approach3_optimal": {"params": self.approach3.params, "tokens": self.approach3.tokens},
            "chinchilla_loss": self.chinchilla_loss,
            "kaplan_loss": self.kaplan_loss,
            "verdict": self.verdict,
            "comparisons": [_comparison_dict(c) for c in self.comparisons],
        }


def scaling_report(
    params: float | None = None,
    tokens: float | None = None,
    compute: float | None = None,
    *,
    flops_per_param_token: float = 6,
    gpu: str = "A100",
    mfu: float = 0.4,
    num_gpus: int | None = None,
    tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM,
) -> ScalingReport:
    """Fill in the missing one of (params, tokens, compute) with C = k N D; with only
    ``compute`` or only ``params``, use the Chinchilla ratio (``tokens_per_param``)."""
    k = float(flops_per_param_token)
    given = {name: v for name, v in (("params", params), ("tokens", tokens), ("compute", compute)) if v is not None}
    for name, v in given.items():
        if not (float(v) > 0 and math.isfinite(float(v))):
            raise ValueError(f"{name}: must be a positive number (got {v!r})")
    if len(given) == 3:
        raise ValueError("compute: give at most two of params, tokens and compute")
    if params is not None and tokens is not None:
        n, d = float(params), float(tokens)
        c = training_flops(n, d, k)
    elif params is not None and compute is not None:
        n, c = float(params), float(compute)
        d = c / (k * n)
    elif tokens is not None and compute is not None:
        d, c = float(tokens), float(compute)
        n = c / (k * d)
    elif compute is not None:
        c = float(compute)
        split = chinchilla_optimal(c, tokens_per_param, k)
        n, d = split.params, split.tokens
    elif params is not None:
        n = float(params)
        d = tokens_per_param * n
        c = training_flops(n, d, k)
    elif tokens is not None:
        d = float(tokens)
        n = d / tokens_per_param
        c = training_flops(n, d, k)
    else:
        raise ValueError("params: give params, tokens or compute")
    gpu_days(c, gpu, mfu)  # validates gpu and mfu
    if num_gpus is not None and (int(num_gpus) < 1 or int(num_gpus) != num_gpus):
        raise ValueError(f"gpus: must be a whole number >= 1 (got {num_gpus!r})")
    return ScalingReport(
        params=n, tokens=d, compute=c, flops_per_param_token=k, gpu=get_gpu(gpu).name, mfu=float(mfu),
        num_gpus=int(num_gpus) if num_gpus is not None else None,
        optimal=chinchilla_optimal(c, tokens_per_param, k),
        approach3=chinchilla_approach3_optimal(c),
        comparisons=(compare_gpus_per_pf_day(get_gpu(gpu).name),),
    )
