"""Worked-solution steps for engine calls, as short Markdown lines.

``explain_call(name, args, kwargs)`` re-runs the named engine function and returns the steps
that lead to its result, e.g. ``7e9 params × 2 bytes (bf16) = 1.4e10 bytes = 14 GB``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import memory, scaling
from .units import PF_DAY_FLOPS, format_sci


def _b(n: float) -> str:
    return f"{format_sci(n)} bytes = {format_sci(n / 1e9)} GB"


def explain_call(name: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> list[str]:
    kwargs = kwargs or {}
    fn = EXPLAINERS.get(name)
    if fn is None:
        return []
    return fn(*args, **kwargs)


def _weights(params: float, precision: str = "fp32") -> list[str]:
    bpp = memory.BYTES_PER_PARAM[str(precision).lower()]
    total = memory.weights_bytes(params, precision)
    return [f"Weights: {format_sci(params)} params × {bpp:g} bytes ({precision}) = {_b(total)}"]


def _course_training(params: float, precision: str = "fp32") -> list[str]:
    w = memory.weights_bytes(params, precision)
    return _weights(params, precision) + [
        f"Course rule of thumb: 20 × {format_sci(w / 1e9)} GB = {format_sci(20 * w / 1e9)} GB "
        "(the exact model states for mixed-precision Adam are 16 bytes/param, plus activations)"
    ]


def _model_states(params: float, *, mixed_precision: bool = True, optimizer: str = "adam", zero_stage: int = 0,
                  num_gpus: int = 1) -> list[str]:
    ms = memory.model_state_bytes(params, mixed_precision=mixed_precision, optimizer=optimizer,
                                  zero_stage=zero_stage, num_gpus=num_gpus)
    n = ms.num_gpus
    stage = ms.zero_stage
    p = format_sci(params)

    def part(label: str, bpp: float, value: float, sharded: bool) -> str:
        div = f" / {n} GPUs" if sharded else ""
        return f"{label}: {p} × {bpp:g} bytes{div} = {_b(value)}"

    mode = "mixed precision" if mixed_precision else "fp32"
    lines = [
        f"Model states per GPU ({mode}, {optimizer}, ZeRO stage {stage}, {n} GPUs; "
        f"{ms.weight_bytes_per_param:g} + {ms.grad_bytes_per_param:g} + "
        f"{ms.optimizer_bytes_per_param:g} bytes/param before sharding):",
        "- " + part("weights", ms.weight_bytes_per_param, ms.weights, stage >= 3),
        "- " + part("gradients", ms.grad_bytes_per_param, ms.gradients, stage >= 2),
        "- " + part("optimizer states", ms.optimizer_bytes_per_param, ms.optimizer_states, stage >= 1),
        f"- total per GPU = {_b(ms.total)}",
    ]
    return lines


def _activations(seq_len: float, batch: float, hidden: float, heads: float, layers: float, *, recompute: str = "none",
                 tensor_parallel: int = 1, sequence_parallel: bool = False) -> list[str]:
    per = memory.activation_bytes_per_layer(seq_len, batch, hidden, heads, recompute=recompute,
                                            tensor_parallel=tensor_parallel,
                                            sequence_parallel=sequence_parallel)
    s, b, h, a = (format_sci(x) for x in (seq_len, batch, hidden, heads))
    if recompute == "full":
        formula = f"2·s·b·h = 2 × {s} × {b} × {h}"
    elif recompute == "selective":
        formula = f"34·s·b·h = 34 × {s} × {b} × {h}"
    else:
        formula = f"s·b·h·(34 + 5·a·s/h) = {s} × {b} × {h} × (34 + 5 × {a} × {s} / {h})"
    if tensor_parallel != 1:
        formula += f" (with tensor parallel t = {tensor_parallel}{', sequence parallel' if sequence_parallel else ''})"
    return [
        f"Activations per layer (Korthikanti et al. 2022): {formula} = {_b(per)}",
        f"× {format_sci(layers)} layers = {_b(per * layers)}",
    ]


def _kv(batch: float, seq_len: float, n_layers: float, n_kv_heads: float, head_dim: float,
        bytes_per_element: float = 2) -> list[str]:
    total = memory.kv_cache_bytes(batch, seq_len, n_layers, n_kv_heads, head_dim, bytes_per_element)
    return [
        f"KV cache: 2 (K and V) × {format_sci(batch)} batch × {format_sci(seq_len)} tokens × "
        f"{format_sci(n_layers)} layers × {format_sci(n_kv_heads)} KV heads × {format_sci(head_dim)} "
        f"head dim × {format_sci(bytes_per_element)} bytes = {_b(total)}"
    ]


def _flops(params: float, tokens: float, flops_per_param_token: float = 6) -> list[str]:
    c = scaling.training_flops(params, tokens, flops_per_param_token)
    return [
        f"Training compute: {format_sci(flops_per_param_token)} × N × D = {format_sci(flops_per_param_token)} × "
        f"{format_sci(params)} × {format_sci(tokens)} = {format_sci(c)} FLOPs "
        f"= {format_sci(c / PF_DAY_FLOPS)} PF-days (1 PF-day = 8.64e19 FLOPs)"
    ]


def _gpu_days(flops: float, gpu: str = "A100", mfu: float = 1.0, *, sparse: bool = False) -> list[str]:
    g = scaling.get_gpu(gpu)
    peak = g.sparse_tflops if sparse else g.dense_tflops
    days = scaling.gpu_days(flops, gpu, mfu, sparse=sparse)
    return [
        f"GPU-days: {format_sci(flops)} FLOPs / ({peak:g}e12 FLOP/s × {format_sci(mfu)} MFU × 86,400 s/day)"
        f" = {format_sci(days)} {g.name}-days"
    ]


def _gpus_per_pf_day(gpu: str = "A100", mfu: float = 1.0, *, sparse: bool = False) -> list[str]:
    return _gpu_days(PF_DAY_FLOPS, gpu, mfu, sparse=sparse)


def _pf_days(flops: float) -> list[str]:
    return [f"PF-days: {format_sci(flops)} FLOPs / 8.64e19 FLOPs per PF-day = {format_sci(flops / PF_DAY_FLOPS)}"]


def _chinchilla_optimal(compute_flops: float, tokens_per_param: float = 20,
                        flops_per_param_token: float = 6) -> list[str]:
    split = scaling.chinchilla_optimal(compute_flops, tokens_per_param, flops_per_param_token)
    r = format_sci(tokens_per_param)
    k = format_sci(flops_per_param_token)
    kr = format_sci(float(flops_per_param_token) * float(tokens_per_param))
    return [
        f"With D = {r} N and C = {k} N D: C = {k} × {r} × N², so N = √(C / {kr})",
        f"N = √({format_sci(compute_flops)} / {kr}) = {format_sci(split.params)} params",
        f"D = {r} × N = {format_sci(split.tokens)} tokens",
    ]


def _chinchilla_tokens(params: float, tokens_per_param: float = 20) -> list[str]:
    return [f"D = {format_sci(tokens_per_param)} tokens/param × {format_sci(params)} params = "
            f"{format_sci(scaling.chinchilla_tokens(params, tokens_per_param))} tokens"]


def _chinchilla_loss(params: float, tokens: float) -> list[str]:
    n, d = float(params), float(tokens)
    a_term = scaling.CHINCHILLA_A / n**scaling.CHINCHILLA_ALPHA
    b_term = scaling.CHINCHILLA_B / d**scaling.CHINCHILLA_BETA
    return [
        f"Chinchilla Approach 3: L = 1.69 + 406.4 / N^0.34 + 410.7 / D^0.28 = 1.69 + "
        f"{format_sci(a_term)} + {format_sci(b_term)} = {format_sci(scaling.chinchilla_loss(n, d), 4)} nats/token"
    ]


def _kaplan_loss(params: float | None = None, tokens: float | None = None,
                 compute_pf_days: float | None = None) -> list[str]:
    value = scaling.kaplan_loss(params, tokens, compute_pf_days)
    if compute_pf_days is not None:
        return [f"Kaplan: L = (3.1e8 / {format_sci(compute_pf_days)} PF-days)^0.050 = {format_sci(value, 4)}"]
    if tokens is None:
        assert params is not None  # kaplan_loss above checked that one was given
        return [f"Kaplan: L = (8.8e13 / {format_sci(params)})^0.076 = {format_sci(value, 4)}"]
    if params is None:
        return [f"Kaplan: L = (5.4e13 / {format_sci(tokens)})^0.095 = {format_sci(value, 4)}"]
    return [f"Kaplan (Table 2 joint fit): L = [(6.4e13/N)^(0.076/0.103) + 1.8e13/D]^0.103 "
            f"with N = {format_sci(params)}, "
            f"D = {format_sci(tokens)}: {format_sci(value, 4)}"]


EXPLAINERS: dict[str, Callable[..., list[str]]] = {
    "weights_bytes": _weights,
    "course_training_bytes": _course_training,
    "model_state_bytes": _model_states,
    "activation_bytes": _activations,
    "kv_cache_bytes": _kv,
    "training_flops": _flops,
    "gpu_days": _gpu_days,
    "gpus_per_pf_day": _gpus_per_pf_day,
    "pf_days": _pf_days,
    "chinchilla_optimal": _chinchilla_optimal,
    "chinchilla_tokens": _chinchilla_tokens,
    "chinchilla_loss": _chinchilla_loss,
    "kaplan_loss": _kaplan_loss,
}
