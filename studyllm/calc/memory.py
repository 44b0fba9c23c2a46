"""GPU memory: weights, model states (ZeRO), activations (Korthikanti et al.), KV cache.

All results are in bytes. Sources:
- ZeRO: Rajbhandari et al. 2019, arXiv:1910.02054, Sec. 3.1 and Sec. 5 (K = 12 for
  mixed-precision Adam: fp32 master weights, momentum and variance).
- Activations: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
  Transformer Models", arXiv:2205.05198, Sec. 4 and Table 2 (16-bit activations).
- KV cache: 2 (K and V) x batch x seq_len x layers x kv_heads x head_dim x bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_PARAM: dict[str, float] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}

# Optimizer state bytes per parameter (the ZeRO paper's K), by optimizer, for
# mixed-precision training (includes the fp32 master copy of the weights) and for pure fp32.
OPTIMIZER_STATE_BYTES: dict[str, dict[str, float]] = {
    # fp32 master weights 4 + momentum 4 + variance 4 = 12 (ZeRO K = 12); fp32: 4 + 4
    "adam": {"mixed": 12, "fp32": 8},
    "adamw": {"mixed": 12, "fp32": 8},
    # fp32 master 4 + momentum 4; fp32: momentum 4
    "sgd": {"mixed": 8, "fp32": 4},
    # bitsandbytes 8-bit Adam: 2 states x 1 byte (+ fp32 master in mixed precision)
    "adam8bit": {"mixed": 6, "fp32": 2},
}

# The course's per-parameter breakdown for full-precision training (Week 1 slide
# "Additional GPU RAM needed to train 1B parameters"): a high-end estimate.
COURSE_TRAINING_BYTES_PER_PARAM: dict[str, float] = {
    "weights": 4,
    "adam_states": 8,
    "gradients": 4,
    "activations_temp": 8,
}
COURSE_TRAINING_MULTIPLIER = 20  # "~20x the GPU RAM of the weights alone"

RECOMPUTE_MODES = ("none", "selective", "full")
ZERO_STAGES = (0, 1, 2, 3)


def _precision_bytes(precision: str) -> float:
    key = str(precision).lower()
    if key not in BYTES_PER_PARAM:
        raise ValueError(
            f"precision: unknown precision {precision!r} (choose from {', '.join(BYTES_PER_PARAM)})"
        )
    return BYTES_PER_PARAM[key]


def _positive(value: float, field: str) -> float:
    if value < 0:
        raise ValueError(f"{field}: must not be negative (got {value!r})")
    return value


def weights_bytes(params: float, precision: str = "fp32") -> float:
    """Bytes to store ``params`` weights at ``precision`` (fp32 4, fp16/bf16 2, int8 1, int4 0.5)."""
    return _positive(float(params), "params") * _precision_bytes(precision)


def course_training_bytes(params: float, precision: str = "fp32") -> float:
    """The course rule of thumb: training needs ~20x the memory of the weights alone
    (1B params at fp32: 4 GB x 20 = 80 GB; at 16-bit 40 GB; at 8-bit 20 GB)."""
    return COURSE_TRAINING_MULTIPLIER * weights_bytes(params, precision)


@dataclass(frozen=True)
class CourseTrainingBreakdown:
    """The course's 24 bytes/param breakdown (weights 4, Adam 8, gradients 4, activations ~8)."""

    params: float
    weights: float
    adam_states: float
    gradients: float
    activations_temp: float

    @property
    def total(self) -> float:
        return self.weights + self.adam_states + self.gradients + self.activations_temp

    @property
    def total_bytes_per_param(self) -> float:
        return self.total / self.params if self.params else 0.0


def course_training_breakdown(params: float) -> CourseTrainingBreakdown:
    """The course's per-parameter breakdown for fp32 Adam training: 24 bytes/param."""
    p = _positive(float(params), "params")
    b = COURSE_TRAINING_BYTES_PER_PARAM
    return CourseTrainingBreakdown(
        params=p,
        weights=p * b["weights"],
        adam_states=p * b["adam_states"],
        gradients=p * b["gradients"],
        activations_temp=p * b["activations_temp"],
    )


@dataclass(frozen=True)
class ModelStates:
    """Model-state memory per GPU, in bytes."""

    params: float
    weights: float
    gradients: float
    optimizer_states: float
    zero_stage: int
    num_gpus: int
    weight_bytes_per_param: float
    grad_bytes_per_param: float
    optimizer_bytes_per_param: float

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer_states

    @property
    def bytes_per_param(self) -> float:
        """Total per GPU divided by the full parameter count."""
        return self.total / self.params if self.params else 0.0


def model_state_bytes(
    params: float,
    *,
    mixed_precision: bool = True,
    optimizer: str = "adam",
    zero_stage: int = 0,
    num_gpus: int = 1,
) -> ModelStates:
    """Per-GPU memory of weights, gradients and optimizer states (ZeRO paper accounting).

    Mixed-precision Adam: 2 (fp16 weights) + 2 (fp16 grads) + 12 (fp32 master, momentum,
    variance) = 16 bytes/param. Pure fp32 Adam: 4 + 4 + 8 = 16 bytes/param.
    ZeRO stage 1 shards the optimizer states over ``num_gpus`` data-parallel GPUs, stage 2
    also the gradients, stage 3 also the weights.
    """
    p = _positive(float(params), "params")
    opt = str(optimizer).lower()
    if opt not in OPTIMIZER_STATE_BYTES:
        raise ValueError(f"optimizer: unknown optimizer {optimizer!r} (choose from {', '.join(OPTIMIZER_STATE_BYTES)})")
    try:
        stage = int(zero_stage)
    except (TypeError, ValueError):
        raise ValueError(f"zero_stage: must be 0, 1, 2 or 3 (got {zero_stage!r})") from None
    if stage not in ZERO_STAGES or stage != zero_stage:
        raise ValueError(f"zero_stage: must be 0, 1, 2 or 3 (got {zero_stage!r})")
    try:
        n = int(num_gpus)
    except (TypeError, ValueError):
        raise ValueError(f"num_gpus: must be a whole number >= 1 (got {num_gpus!r})") from None
    if n < 1 or n != num_gpus:
        raise ValueError(f"num_gpus: must be a whole number >= 1 (got {num_gpus!r})")
    w = 2.0 if mixed_precision else 4.0
    g = 2.0 if mixed_precision else 4.0
    k = float(OPTIMIZER_STATE_BYTES[opt]["mixed" if mixed_precision else "fp32"])
    weights = p * w / (n if stage >= 3 else 1)
    grads = p * g / (n if stage >= 2 else 1)
    states = p * k / (n if stage >= 1 else 1)
    return ModelStates(
        params=p,
        weights=weights,
        gradients=grads,
        optimizer_states=states,
        zero_stage=stage,
        num_gpus=n,
        weight_bytes_per_param=w,
        grad_bytes_per_param=g,
        optimizer_bytes_per_param=k,
    )


@dataclass(frozen=True)
class HFAnatomy:
    """Hugging Face "model memory anatomy" accounting, bytes per parameter."""

    weights: float
    optimizer_states: float
    gradients: float

    @property
    def total(self) -> float:
        return self.weights + self.optimizer_states + self.gradients


def hf_anatomy_bytes_per_param(optimizer: str = "adamw", *, mixed_precision: bool = True,
                               training: bool = True) -> HFAnatomy:
    """Bytes/param as the Hugging Face Transformers docs count them ("Anatomy of Model's Memory").

    Mixed precision keeps an fp32 and an fp16 copy of the weights (6 bytes) and fp32
    gradients (4); AdamW 8 bytes of states, 8-bit AdamW 2, SGD with momentum 4.
    Mixed-precision AdamW training: 6 + 8 + 4 = 18; fp32: 4 + 8 + 4 = 16; inference 6 (mixed).
    """
    states = {"adam": 8.0, "adamw": 8.0, "adam8bit": 2.0, "sgd": 4.0}
    opt = str(optimizer).lower()
    if opt not in states:
        raise ValueError(f"optimizer: unknown optimizer {optimizer!r}")
    weights = 6.0 if mixed_precision else 4.0
    if not training:
        return HFAnatomy(weights=weights, optimizer_states=0.0, gradients=0.0)
    return HFAnatomy(weights=weights, optimizer_states=states[opt], gradients=4.0)


def activation_bytes_per_layer(
    seq_len: float,
    batch: float,
    hidden: float,
    heads: float,
    *,
    recompute: str = "none",
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
) -> float:
    """Activation memory of one transformer layer in bytes (Korthikanti et al. 2022, Table 2).

    none:      s*b*h*(34 + 5*a*s/h)                      (t = 1)
               s*b*h*(10 + 24/t + 5*a*s/(h*t))           (tensor parallel)
               s*b*h/t*(34 + 5*a*s/h)                    (tensor + sequence parallel)
    selective: the 5*a*s/h attention term is recomputed, so it drops out.
    full:      only the layer input is kept: 2*s*b*h (divided by t with sequence parallel).
    """
    s, b, h, a = float(seq_len), float(batch), float(hidden), float(heads)
    for value, name in ((s, "seq_len"), (b, "batch"), (h, "hidden"), (a, "heads")):
        if value <= 0:
            raise ValueError(f"{name}: must be greater than zero (got {value!r})")
    t = int(tensor_parallel)
    if t < 1:
        raise ValueError(f"tensor_parallel: must be >= 1 (got {tensor_parallel!r})")
    mode = str(recompute).lower()
    if mode not in RECOMPUTE_MODES:
        raise ValueError(f"recompute: must be one of {', '.join(RECOMPUTE_MODES)} (got {recompute!r})")
    attention = 5.0 * a * s / h
    if mode == "full":
        return 2.0 * s * b * h / (t if sequence_parallel else 1)
    if mode == "selective":
        attention = 0.0
    if sequence_parallel:
        return s * b * h / t * (34.0 + attention)
    return s * b * h * (10.0 + 24.0 / t + attention / t)


def activation_bytes(
    seq_len: float,
    batch: float,
    hidden: float,
    heads: float,
    layers: float,
    *,
    recompute: str = "none",
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
) -> float:
    """Activation memory of ``layers`` transformer layers in bytes, per GPU (Korthikanti et al.
    2022; embeddings, final layer norm and output logits are left out)."""
    per_layer = activation_bytes_per_layer(
        seq_len, batch, hidden, heads,
        recompute=recompute, tensor_parallel=tensor_parallel, sequence_parallel=sequence_parallel,
    )
    if float(layers) <= 0:
        raise ValueError(f"layers: must be greater than zero (got {layers!r})")
    return per_layer * float(layers)


def kv_cache_bytes(batch: float, seq_len: float, n_layers: float, n_kv_heads: float, head_dim: float,
                   bytes_per_element: float = 2) -> float:
    """KV cache: 2 (K and V) x batch x seq_len x layers x kv_heads x head_dim x bytes/element."""
    values = (batch, seq_len, n_layers, n_kv_heads, head_dim, bytes_per_element)
    names = ("batch", "seq_len", "n_layers", "n_kv_heads", "head_dim", "bytes_per_element")
    for v, name in zip(values, names, strict=True):
        _positive(float(v), name)
    return 2.0 * batch * seq_len * n_layers * n_kv_heads * head_dim * bytes_per_element
