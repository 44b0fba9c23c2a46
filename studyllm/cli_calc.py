"""``studyllm calc``: the memory and scaling calculators on the command line.

The main CLI calls ``add_parser(subparsers)``. The engine is imported inside ``run`` so that
``studyllm --help`` and other subcommands start fast.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine itself is imported inside run(), see above
    from studyllm.calc import MemoryReport, Preset, ScalingReport

PRECISIONS = ("fp32", "fp16", "bf16", "int8", "int4")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calc`` (with ``memory`` and ``scaling``) to an argparse subparsers object."""
    calc = subparsers.add_parser(
        "calc",
        help="memory and scaling calculators (GPU memory, FLOPs, PF-days, Chinchilla)",
        description="Memory and scaling calculators. Quantities accept 7B, 7e9, 175 billion, 1.4T.",
    )
    calc.set_defaults(func=run, calc_command=None)
    sub = calc.add_subparsers(dest="calc_command", metavar="{memory,scaling}")

    mem = sub.add_parser(
        "memory",
        help="GPU memory to store or train a model",
        description="GPU memory per GPU: weights, gradients, optimizer states, activations, KV cache.",
        epilog="Example: studyllm calc memory --params 7B --precision bf16 --train --zero 3 --gpus 64",
    )
    mem.add_argument("--params", help="parameter count, e.g. 7B, 7e9, 175 billion")
    mem.add_argument("--preset", help="a published model, e.g. gpt3-175b, llama-7b (see --list-presets)")
    mem.add_argument("--precision", default="bf16", help="fp32, fp16, bf16, int8 or int4 (default bf16)")
    mem.add_argument("--train", action="store_true", help="training: add gradients, optimizer states, activations")
    mem.add_argument("--optimizer", default="adam", help="adam, adamw, sgd or adam8bit (default adam)")
    mem.add_argument("--zero", default="0", help="ZeRO stage 0-3 (default 0)")
    mem.add_argument("--gpus", default="1", help="number of data-parallel GPUs (default 1)")
    mem.add_argument("--gpu", default="A100", help="V100, A100 or H100, for the fits-in-memory check")
    mem.add_argument("--seq-len", dest="seq_len", help="sequence length (default: preset's, else 2048)")
    mem.add_argument("--batch", default="1", help="micro-batch size per GPU (default 1)")
    mem.add_argument("--layers", help="number of layers (for activations / KV cache)")
    mem.add_argument("--hidden", help="hidden size (for activations / KV cache)")
    mem.add_argument("--heads", help="attention heads (for activations / KV cache)")
    mem.add_argument("--kv-heads", dest="kv_heads", help="KV heads for grouped-query attention")
    mem.add_argument("--recompute", default="none", help="activation recomputation: none, selective, full")
    mem.add_argument("--tp", default="1", help="tensor-parallel degree (default 1)")
    mem.add_argument("--sp", action="store_true", help="sequence parallelism (with --tp)")
    mem.add_argument("--unit", default="GB", choices=("GB", "GiB"), help="display unit (default GB = 1e9 bytes)")
    mem.add_argument("--json", action="store_true", help="print JSON")
    mem.add_argument("--list-presets", action="store_true", help="list presets and exit")

    sc = sub.add_parser(
        "scaling",
        help="training compute, PF-days, GPU-days and the Chinchilla-optimal split",
        description="Compute from params and tokens (C = 6ND), PF-days, GPU-days, Chinchilla split.",
        epilog="Examples: studyllm calc scaling --params 70B | --compute 5.76e23 | --preset gpt3-175b",
    )
    sc.add_argument("--params", help="parameter count, e.g. 70B")
    sc.add_argument("--tokens", help="training tokens, e.g. 1.4T")
    sc.add_argument("--compute", help="compute budget in FLOPs (5.76e23) or PF-days (3640 PF-days)")
    sc.add_argument("--preset", help="a published model, e.g. gpt3-175b, chinchilla-70b")
    sc.add_argument("--gpu", default="A100", help="V100, A100 or H100 (default A100)")
    sc.add_argument("--mfu", default="0.4", help="model FLOPs utilisation, 0.4 or 40%% (default 0.4)")
    sc.add_argument("--gpus", help="number of GPUs, for wall-clock days")
    sc.add_argument("--tokens-per-param", dest="tokens_per_param", default="20",
                    help="Chinchilla ratio (default 20)")
    sc.add_argument("--json", action="store_true", help="print JSON")
    sc.add_argument("--list-presets", action="store_true", help="list presets and exit")


class _Usage(Exception):
    """A bad value: message already names the option."""


def _q(calc: ModuleType, text: str | None, option: str, **kw: Any) -> float | None:
    if text is None:
        return None
    try:
        return calc.parse_quantity(text, field=option, **kw)
    except ValueError as err:
        raise _Usage(str(err)) from None


def _int(calc: ModuleType, text: str | None, option: str, lo: int | None = None, hi: int | None = None) -> int | None:
    value = _q(calc, text, option)
    if value is None:
        return None
    if not float(value).is_integer() or (lo is not None and value < lo) or (hi is not None and value > hi):
        rng = f" between {lo} and {hi}" if hi is not None else (f" >= {lo}" if lo is not None else "")
        raise _Usage(f"{option}: must be a whole number{rng} (got {text!r})")
    return int(value)


def run(args: argparse.Namespace) -> int:
    """Run ``studyllm calc ...``; return the exit code (2 for bad values)."""
    from studyllm import calc  # lazy: keeps CLI start-up fast
    from studyllm.cli_common import echo, echo_json

    command = getattr(args, "calc_command", None)
    if command is None:
        echo("usage: studyllm calc {memory,scaling} ... (try studyllm calc memory --help)", err=True)
        return 2
    if getattr(args, "list_presets", False):
        for p in calc.PRESETS.values():
            echo(f"{p.name:18} {calc.format_count(p.params):>7} params  {calc.format_count(p.tokens):>6} tokens"
                 f"  {p.label}")
        return 0
    try:
        if command == "memory":
            memory = _memory(calc, args)
            if args.json:
                echo_json(memory.as_dict())
            else:
                echo(format_memory(calc, memory, unit=args.unit))
        else:
            scaling = _scaling(calc, args)
            if args.json:
                echo_json(scaling.as_dict())
            else:
                echo(format_scaling(calc, scaling))
    except _Usage as err:
        echo(f"studyllm calc: error: {_with_dashes(str(err))}", err=True)
        return 2
    except ValueError as err:
        echo(f"studyllm calc: error: {_with_dashes(str(err))}", err=True)
        return 2
    return 0


_OPTION_NAMES = {"params", "tokens", "compute", "preset", "precision", "optimizer", "zero", "zero_stage",
                 "gpus", "num_gpus", "gpu", "mfu", "seq_len", "batch", "layers", "hidden", "heads",
                 "kv_heads", "recompute", "tp", "tensor_parallel", "tokens_per_param"}
_RENAME = {"zero_stage": "zero", "num_gpus": "gpus", "tensor_parallel": "tp"}


def _with_dashes(message: str) -> str:
    """"params: ..." -> "--params: ..." so the message names the option the user typed."""
    head, sep, rest = message.partition(":")
    if sep and head in _OPTION_NAMES:
        return f"--{_RENAME.get(head, head).replace('_', '-')}:{rest}"
    return message


def _preset(calc: ModuleType, name: str | None) -> Preset | None:
    if name is None:
        return None
    try:
        return calc.get_preset(name)
    except ValueError as err:
        raise _Usage(str(err)) from None


def _memory(calc: ModuleType, args: argparse.Namespace) -> MemoryReport:
    preset = _preset(calc, args.preset)
    params = _q(calc, args.params, "params", allow_zero=False)
    if params is None:
        if preset is None:
            raise _Usage("params: give --params (e.g. 7B) or --preset")
        params = preset.params
    layers = _int(calc, args.layers, "layers", lo=1)
    hidden = _int(calc, args.hidden, "hidden", lo=1)
    heads = _int(calc, args.heads, "heads", lo=1)
    kv_heads = _int(calc, args.kv_heads, "kv_heads", lo=1)
    seq_len = _int(calc, args.seq_len, "seq_len", lo=1)
    if preset is not None:
        layers = layers or preset.layers
        hidden = hidden or preset.hidden
        heads = heads or preset.heads
        kv_heads = kv_heads or preset.kv_heads
        seq_len = seq_len or preset.seq_len
    return calc.memory_report(
        params, args.precision, train=args.train, optimizer=args.optimizer,
        zero_stage=_int(calc, args.zero, "zero", lo=0, hi=3), num_gpus=_int(calc, args.gpus, "gpus", lo=1),
        seq_len=seq_len, batch=_int(calc, args.batch, "batch", lo=1), layers=layers, hidden=hidden,
        heads=heads, kv_heads=kv_heads, recompute=args.recompute, tensor_parallel=_int(calc, args.tp, "tp", lo=1),
        sequence_parallel=args.sp, gpu=args.gpu,
    )


def _scaling(calc: ModuleType, args: argparse.Namespace) -> ScalingReport:
    preset = _preset(calc, args.preset)
    params = _q(calc, args.params, "params", allow_zero=False)
    tokens = _q(calc, args.tokens, "tokens", allow_zero=False)
    compute = _q(calc, args.compute, "compute", allow_zero=False)
    k = 6.0
    if preset is not None:
        k = preset.flops_per_param_token
        if params is None:
            params = preset.params
        if tokens is None and compute is None:
            tokens = preset.tokens
    mfu = _q(calc, args.mfu, "mfu", allow_zero=False)
    assert mfu is not None  # --mfu has a default
    if mfu > 1:
        raise _Usage(f"mfu: must be at most 1 (or 100%), got {args.mfu!r}")
    return calc.scaling_report(
        params, tokens, compute, flops_per_param_token=k, gpu=args.gpu, mfu=mfu,
        num_gpus=_int(calc, args.gpus, "gpus", lo=1),
        tokens_per_param=_q(calc, args.tokens_per_param, "tokens_per_param", allow_zero=False),
    )


def _gpus(n: int) -> str:
    return "1 GPU" if n == 1 else f"{n} GPUs"


def format_memory(calc: ModuleType, report: MemoryReport, unit: str = "GB") -> str:
    def fmt(b: float) -> str:
        return calc.format_bytes(b, unit)

    mode = "training" if report.train else "inference"
    lines = [f"Memory per GPU for {calc.format_count(report.params)} params, {report.precision}, {mode}"
             + (f", ZeRO stage {report.zero_stage} on {_gpus(report.num_gpus)}" if report.train else
                (f", split over {report.num_gpus} GPUs" if report.num_gpus > 1 else ""))]
    width = max(len(i.label) for i in report.items)
    for item in report.items:
        lines.append(f"  {item.label:<{width}}  {fmt(item.bytes):>12}   {item.formula}")
    lines.append(f"  {'total per GPU':<{width}}  {fmt(report.total):>12}")
    gpu_mem = report.gpu_memory_bytes
    lines.append(f"  {'fits on one ' + report.gpu + ' ' + calc.format_bytes(gpu_mem, 'GB', 3):<{width}}  "
                 f"{'yes' if report.fits else 'no':>12}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    for c in report.comparisons:
        lines.append("")
        lines.append("Course rule of thumb vs exact (whole model, one GPU):")
        lines.append(f"  {c.course_label}: {fmt(c.course_value)}")
        for label, value in c.extra:
            lines.append(f"  {label}: {fmt(value)}")
        lines.append(f"  {c.exact_label}: {fmt(c.exact_value)}")
        lines.append(f"  why: {c.why}")
    return "\n".join(lines)


def format_scaling(calc: ModuleType, r: ScalingReport) -> str:
    lines = [
        f"Training compute for {calc.format_count(r.params)} params on {calc.format_count(r.tokens)} tokens",
        f"  compute            {calc.format_flops(r.compute)}  (C = {r.flops_per_param_token:g} N D)",
        f"  PF-days            {calc.format_sci(r.pf_days)}  (1 PF-day = 8.64e19 FLOPs)",
        f"  {r.gpu}-days at {r.mfu:.0%} MFU  {calc.format_sci(r.gpu_days)}"
        f"  (at peak: {calc.format_sci(r.gpu_days_at_peak)})",
    ]
    if r.wall_days is not None:
        lines.append(f"  wall clock         {calc.format_sci(r.wall_days)} days on {r.num_gpus} {r.gpu}s")
    lines += [
        f"  tokens per param   {r.tokens_per_param:.3g} (Chinchilla: about 20)",
        f"  verdict            {r.verdict}",
        "",
        "Compute-optimal split for this budget:",
        f"  20 tokens/param    {calc.format_count(r.optimal.params)} params,"
        f" {calc.format_count(r.optimal.tokens)} tokens",
        f"  Approach 3 fit     {calc.format_count(r.approach3.params)} params,"
        f" {calc.format_count(r.approach3.tokens)} tokens",
        f"  loss (Chinchilla Approach 3)  {r.chinchilla_loss:.4f} nats/token",
        f"  loss (Kaplan L(N, D))         {r.kaplan_loss:.4f} nats/token",
    ]
    for c in r.comparisons:
        lines.append("")
        lines.append("Course rule of thumb vs exact:")
        lines.append(f"  {c.course_label}; exact: {c.exact_value:.3g} {c.unit} at {c.exact_label}")
        for label, value in c.extra:
            lines.append(f"  {label}: {value:.3g} {c.unit}")
        lines.append(f"  why: {c.why}")
    return "\n".join(lines)
