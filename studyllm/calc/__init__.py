"""The calculator engine: memory, compute and scaling-law formulas with explicit units.

Pure library (no Textual, no SQL). Units: bytes, FLOPs, tokens, parameters, days.
Display uses GB = 1e9 bytes (GiB = 2**30 on request). Used by the calculator screen, the
``studyllm calc`` command and the numeric ``calc`` cards, so each formula lives here once.
"""

from .memory import (
    BYTES_PER_PARAM,
    COURSE_TRAINING_BYTES_PER_PARAM,
    COURSE_TRAINING_MULTIPLIER,
    OPTIMIZER_STATE_BYTES,
    RECOMPUTE_MODES,
    ZERO_STAGES,
    CourseTrainingBreakdown,
    HFAnatomy,
    ModelStates,
    activation_bytes,
    activation_bytes_per_layer,
    course_training_breakdown,
    course_training_bytes,
    hf_anatomy_bytes_per_param,
    kv_cache_bytes,
    model_state_bytes,
    weights_bytes,
)
from .presets import PRESETS, Preset, get_preset
from .report import MemoryItem, MemoryReport, ScalingReport, memory_report, scaling_report
from .rules import Comparison, compare_gpus_per_pf_day, compare_training_memory, course_vs_exact
from .scaling import (
    CHINCHILLA_A,
    CHINCHILLA_ALPHA,
    CHINCHILLA_B,
    CHINCHILLA_BETA,
    CHINCHILLA_E,
    CHINCHILLA_TABLE3,
    CHINCHILLA_TOKENS_PER_PARAM,
    GOPHER_FLOPS,
    GPU,
    GPUS,
    KAPLAN_ALPHA_N,
    KAPLAN_NC,
    Approach3Allocation,
    ChinchillaSplit,
    chinchilla_approach3_exponents,
    chinchilla_approach3_optimal,
    chinchilla_loss,
    chinchilla_optimal,
    chinchilla_table3,
    chinchilla_tokens,
    get_gpu,
    gpu_days,
    gpus_per_pf_day,
    isoflop_curve,
    kaplan_loss,
    pf_days,
    training_days,
    training_flops,
)
from .units import (
    GB,
    PF_DAY_FLOPS,
    GiB,
    format_bytes,
    format_count,
    format_flops,
    format_sci,
    parse_quantity,
)

__all__ = [name for name in dir() if not name.startswith("_")]
