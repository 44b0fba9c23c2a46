"""Training compute, GPU time and scaling laws.

- C = 6 N D FLOPs for decoder-only training (2 forward x 3 for forward + backward);
  encoder-decoder models like T5 are counted at 3 N D (half the parameters per token),
  as in GPT-3 Table D.1 (Brown et al. 2020, arXiv:2005.14165).
- PF-day = 1e15 FLOP/s x 86,400 s = 8.64e19 FLOPs.
- Chinchilla (Hoffmann et al. 2022, arXiv:2203.15556): ~20 tokens per parameter; Approach 3
  loss L(N, D) = E + A/N^alpha + B/D^beta, with E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28.
- Kaplan et al. 2020 (arXiv:2001.08361), Eq. 1.1-1.3 and 1.5 (the joint L(N, D) with Table 2's own fit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from .units import PF_DAY_FLOPS

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class GPU:
    name: str
    dense_tflops: float       # peak dense 16-bit tensor TFLOPS (fp16 for V100, bf16 otherwise)
    sparse_tflops: float      # with 2:4 structured sparsity (0 when not supported)
    memory_gb: float
    source: str

    @property
    def flops_per_second(self) -> float:
        return self.dense_tflops * 1e12


GPUS: dict[str, GPU] = {
    "V100": GPU("V100", 125.0, 0.0, 32.0,
                "NVIDIA Tesla V100 datasheet: 125 TFLOPS fp16 tensor; 16 or 32 GB HBM2"),
    "A100": GPU("A100", 312.0, 624.0, 80.0,
                "NVIDIA A100 datasheet: 312 TFLOPS bf16 dense, 624 with sparsity; 40 or 80 GB"),
    "H100": GPU("H100", 989.0, 1979.0, 80.0,
                "NVIDIA H100 SXM datasheet: 989 TFLOPS bf16 dense (1,979 with sparsity); 80 GB"),
}


def get_gpu(gpu: str) -> GPU:
    key = str(gpu).upper()
    if key not in GPUS:
        raise ValueError(f"gpu: unknown GPU {gpu!r} (choose from {', '.join(GPUS)})")
    return GPUS[key]


# ---------------------------------------------------------------------------- compute


def training_flops(params: float, tokens: float, flops_per_param_token: float = 6) -> float:
    """Training compute in FLOPs: flops_per_param_token x N x D (6 for decoder-only models)."""
    for value, name in ((params, "params"), (tokens, "tokens"), (flops_per_param_token, "flops_per_param_token")):
        if float(value) < 0:
            raise ValueError(f"{name}: must not be negative (got {value!r})")
    return float(flops_per_param_token) * float(params) * float(tokens)


def pf_days(flops: float) -> float:
    """FLOPs -> petaflop/s-days (1 PF-day = 8.64e19 FLOPs)."""
    return float(flops) / PF_DAY_FLOPS


def _check_mfu(mfu: float) -> float:
    m = float(mfu)
    if not (0 < m <= 1):
        raise ValueError(f"mfu: must be in (0, 1], e.g. 0.4 or 40% (got {mfu!r})")
    return m


def gpu_days(flops: float, gpu: str = "A100", mfu: float = 1.0, *, sparse: bool = False) -> float:
    """GPU-days to do ``flops`` on one ``gpu`` at model FLOPs utilisation ``mfu`` (dense peak
    unless ``sparse``)."""
    g = get_gpu(gpu)
    peak = g.sparse_tflops if sparse else g.dense_tflops
    if peak <= 0:
        raise ValueError(f"gpu: {g.name} has no sparse tensor peak")
    if float(flops) < 0:
        raise ValueError(f"flops: must not be negative (got {flops!r})")
    return float(flops) / (peak * 1e12 * _check_mfu(mfu) * SECONDS_PER_DAY)


def gpus_per_pf_day(gpu: str = "A100", mfu: float = 1.0, *, sparse: bool = False) -> float:
    """How many GPUs sustain 1 PFLOP/s, i.e. deliver 1 PF-day in one day (A100 dense: 3.2)."""
    return gpu_days(PF_DAY_FLOPS, gpu, mfu, sparse=sparse)


def training_days(flops: float, num_gpus: int, gpu: str = "A100", mfu: float = 0.4) -> float:
    """Wall-clock days on ``num_gpus`` GPUs at ``mfu``."""
    if int(num_gpus) < 1:
        raise ValueError(f"num_gpus: must be >= 1 (got {num_gpus!r})")
    return gpu_days(flops, gpu, mfu) / int(num_gpus)


# ---------------------------------------------------------------------------- Chinchilla

CHINCHILLA_E = 1.69
CHINCHILLA_A = 406.4
CHINCHILLA_B = 410.7
CHINCHILLA_ALPHA = 0.34
CHINCHILLA_BETA = 0.28
CHINCHILLA_TOKENS_PER_PARAM = 20
GOPHER_FLOPS = 5.76e23  # Gopher's compute budget as used in the Chinchilla paper


class ChinchillaSplit(NamedTuple):
    params: float
    tokens: float

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params if self.params else math.inf


def chinchilla_optimal(compute_flops: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM,
                       flops_per_param_token: float = 6) -> ChinchillaSplit:
    """Compute-optimal (params, tokens) for a budget C with D = r N and C = 6 N D:
    N = sqrt(C / (6 r)), D = r N."""
    c = float(compute_flops)
    r = float(tokens_per_param)
    if c < 0:
        raise ValueError(f"compute: must not be negative (got {compute_flops!r})")
    if r <= 0:
        raise ValueError(f"tokens_per_param: must be greater than zero (got {tokens_per_param!r})")
    n = math.sqrt(c / (float(flops_per_param_token) * r))
    return ChinchillaSplit(params=n, tokens=r * n)


def chinchilla_tokens(params: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> float:
    """The ~20 tokens/parameter heuristic: D = 20 N."""
    return float(tokens_per_param) * float(params)


def chinchilla_loss(params: float, tokens: float) -> float:
    """Approach 3 fit: L(N, D) = E + A/N^alpha + B/D^beta (nats per token, MassiveText)."""
    n, d = float(params), float(tokens)
    if n <= 0 or d <= 0:
        raise ValueError("params and tokens must be greater than zero")
    return CHINCHILLA_E + CHINCHILLA_A / n**CHINCHILLA_ALPHA + CHINCHILLA_B / d**CHINCHILLA_BETA


@dataclass(frozen=True)
class Approach3Allocation:
    G: float
    a: float
    b: float


def chinchilla_approach3_exponents() -> Approach3Allocation:
    """Closed form of Approach 3 (Eq. 4): N_opt = G (C/6)^a, D_opt = (C/6)^b / G with
    G = (alpha A / (beta B))^(1/(alpha+beta)), a = beta/(alpha+beta), b = alpha/(alpha+beta)."""
    s = CHINCHILLA_ALPHA + CHINCHILLA_BETA
    g = (CHINCHILLA_ALPHA * CHINCHILLA_A / (CHINCHILLA_BETA * CHINCHILLA_B)) ** (1.0 / s)
    return Approach3Allocation(G=g, a=CHINCHILLA_BETA / s, b=CHINCHILLA_ALPHA / s)


def chinchilla_approach3_optimal(compute_flops: float) -> ChinchillaSplit:
    """Loss-minimising (N, D) for a budget C under the Approach 3 fit (Eq. 4)."""
    c = float(compute_flops)
    if c <= 0:
        raise ValueError(f"compute: must be greater than zero (got {compute_flops!r})")
    ex = chinchilla_approach3_exponents()
    return ChinchillaSplit(params=ex.G * (c / 6) ** ex.a, tokens=(c / 6) ** ex.b / ex.G)


def isoflop_curve(compute_flops: float, params_list: list[float]) -> list[tuple[float, float, float]]:
    """For a fixed budget C, each model size N gets D = C / (6 N) tokens; returns
    (N, D, Approach 3 loss) triples: the IsoFLOP profile."""
    c = float(compute_flops)
    out = []
    for n in params_list:
        d = c / (6.0 * n)
        out.append((n, d, chinchilla_loss(n, d)))
    return out


# Hoffmann et al. 2022, Table 3 (Approach 1 projections): params, FLOPs, FLOPs in Gopher
# units, tokens.
CHINCHILLA_TABLE3: tuple[tuple[float, float, float, float], ...] = (
    (400e6, 1.92e19, 1 / 29968, 8.0e9),
    (1e9, 1.21e20, 1 / 4761, 20.2e9),
    (10e9, 1.23e22, 1 / 46, 205.1e9),
    (67e9, 5.76e23, 1.0, 1.5e12),
    (175e9, 3.85e24, 6.7, 3.7e12),
    (280e9, 9.90e24, 17.2, 5.9e12),
    (520e9, 3.43e25, 59.5, 11.0e12),
    (1e12, 1.27e26, 221.3, 21.2e12),
    (10e12, 1.30e28, 22515.9, 216.2e12),
)


def chinchilla_table3(params: float) -> dict[str, float]:
    """The Table 3 row for a model size (exact match on the listed sizes)."""
    for n, flops, gopher_units, tokens in CHINCHILLA_TABLE3:
        if math.isclose(n, float(params), rel_tol=1e-6):
            return {"params": n, "flops": flops, "flops_gopher_units": gopher_units,
                    "tokens": tokens, "tokens_per_param": tokens / n}
    sizes = ", ".join(f"{n:.3g}" for n, *_ in CHINCHILLA_TABLE3)
    raise ValueError(f"params: Chinchilla Table 3 lists only {sizes}")


# ---------------------------------------------------------------------------- Kaplan

KAPLAN_NC = 8.8e13      # non-embedding parameters
KAPLAN_ALPHA_N = 0.076
KAPLAN_DC = 5.4e13      # tokens
KAPLAN_ALPHA_D = 0.095
KAPLAN_CC_MIN = 3.1e8   # PF-days
KAPLAN_ALPHA_C_MIN = 0.050
# The joint fit L(N, D) (Kaplan et al. 2020, Eq. 1.5) has its own constants, fitted together
# (Table 2, "Fits to L(N, D)"); they differ from the single-variable fits above.
KAPLAN_JOINT_ALPHA_N = 0.076
KAPLAN_JOINT_ALPHA_D = 0.103
KAPLAN_JOINT_NC = 6.4e13
KAPLAN_JOINT_DC = 1.8e13


def kaplan_loss(params: float | None = None, tokens: float | None = None,
                compute_pf_days: float | None = None) -> float:
    """Kaplan et al. 2020 power laws (nats/token, WebText2):
    params only: (Nc/N)^0.076 (Eq. 1.1); tokens only: (Dc/D)^0.095 (Eq. 1.2);
    both: [(Nc/N)^(aN/aD) + Dc/D]^aD (Eq. 1.5) with Table 2's joint fit (aN 0.076, aD 0.103,
    Nc 6.4e13, Dc 1.8e13); compute only: (Cc_min/C_min)^0.050 (Eq. 1.3)."""
    given = [x is not None for x in (params, tokens, compute_pf_days)]
    if compute_pf_days is not None:
        if params is not None or tokens is not None:
            raise ValueError("kaplan_loss: give compute_pf_days alone, or params and/or tokens")
        c = float(compute_pf_days)
        if c <= 0:
            raise ValueError("compute_pf_days: must be greater than zero")
        return (KAPLAN_CC_MIN / c) ** KAPLAN_ALPHA_C_MIN
    if not any(given):
        raise ValueError("kaplan_loss: give params, tokens or compute_pf_days")
    if params is not None and float(params) <= 0:
        raise ValueError("params: must be greater than zero")
    if tokens is not None and float(tokens) <= 0:
        raise ValueError("tokens: must be greater than zero")
    if tokens is None:
        assert params is not None  # one of the two was given (checked above)
        return (KAPLAN_NC / float(params)) ** KAPLAN_ALPHA_N
    if params is None:
        return (KAPLAN_DC / float(tokens)) ** KAPLAN_ALPHA_D
    return ((KAPLAN_JOINT_NC / float(params)) ** (KAPLAN_JOINT_ALPHA_N / KAPLAN_JOINT_ALPHA_D)
            + KAPLAN_JOINT_DC / float(tokens)) ** KAPLAN_JOINT_ALPHA_D
