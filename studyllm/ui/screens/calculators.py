"""The calculator screen: Memory and Scaling tabs over the ``studyllm.calc`` engine.

Results update on every keystroke. A bad value shows its message under the input and the
result panel says the inputs are invalid: no earlier figure stays on screen next to an error
(it would read as the answer to the new inputs). Nothing here raises into the app. Card values arrive as
``prefill`` (the variables of a calc card) so "open in calculator" shows the card's numbers.
"""

from __future__ import annotations

import math
from typing import Any
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from studyllm import calc
from studyllm.ui.screens.base import AppScreen

PRECISIONS = [("fp32 (4 bytes)", "fp32"), ("fp16 (2 bytes)", "fp16"), ("bf16 (2 bytes)", "bf16"),
              ("int8 (1 byte)", "int8"), ("int4 (0.5 byte)", "int4")]
MODES = [("Inference (weights, KV cache)", "infer"), ("Training (ZeRO, activations)", "train")]
ZERO = [("0: plain data parallel", 0), ("1: shard optimizer states", 1), ("2: + gradients", 2),
        ("3: + weights", 3)]
GPU_CHOICES = [(f"{g.name} ({g.dense_tflops:g} TFLOPS, {g.memory_gb:g} GB)", g.name) for g in calc.GPUS.values()]
RECOMPUTE = [("none", "none"), ("selective", "selective"), ("full", "full")]
PRESET_CHOICES = [(p.label, p.name) for p in calc.PRESETS.values()]
SEGMENTS = (("weights", "weights"), ("gradients", "grads"), ("optimizer", "optimizer"),
            ("activations", "activations"), ("kv_cache", "KV cache"))

# Inputs: id -> (engine field name, default text)
MEMORY_INPUTS = {
    "mem-params": ("params", "7B"),
    "mem-gpus": ("gpus", "1"),
    "mem-seq": ("seq_len", "2048"),
    "mem-batch": ("batch", "1"),
    "mem-layers": ("layers", ""),
    "mem-hidden": ("hidden", ""),
    "mem-heads": ("heads", ""),
}
SCALING_INPUTS = {
    "sc-params": ("params", "70B"),
    "sc-tokens": ("tokens", ""),
    "sc-compute": ("compute", ""),
    "sc-mfu": ("mfu", "40%"),
    "sc-gpus": ("gpus", ""),
}


FIXED_HEIGHT = {"mem-title", "mem-total", "mem-legend", "sc-title", "sc-verdict"}
_SHOWN: WeakKeyDictionary[Static, str] = WeakKeyDictionary()  # the text each Static was last given


def set_text(widget: Static, text: str) -> None:
    """Update a Static only when its text changes. Statics with a fixed height in the .tcss
    (and the bar segments) skip the layout pass: that keeps typing fast on a busy screen."""
    if _SHOWN.get(widget) != text:
        _SHOWN[widget] = text
        fixed = widget.id in FIXED_HEIGHT or widget.has_class("seg")
        widget.update(text, layout=not fixed)


def qty(value: float) -> str:
    """A number as an input would take it, without losing precision: 7e9 -> "7B", 174.6e9 -> "174.6B"."""
    a = abs(value)
    if not math.isfinite(a):
        return str(value)
    if a >= 1e15:
        mant, exp = f"{value:.6e}".split("e")
        return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if a >= factor:
            return f"{value / factor:.6g}{suffix}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


class CalculatorScreen(AppScreen[None]):
    """Memory and scaling calculators. ``prefill`` maps calc-card variable names (params,
    tokens, compute, precision, zero_stage, gpus, gpu, mfu, preset, seq_len, batch, layers,
    hidden, heads) to values; ``tab`` is "memory" or "scaling"."""

    CSS_PATH = "calculators.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Back"),
        Binding("ctrl+t", "switch_tab", "Memory/Scaling"),
    ]

    def __init__(self, prefill: dict | None = None, tab: str = "memory", **kwargs: Any):
        super().__init__(**kwargs)
        self.prefill = dict(prefill or {})
        self.initial_tab = tab if tab in ("memory", "scaling") else "memory"
        self.memory_report: calc.MemoryReport | None = None
        self.scaling_report: calc.ScalingReport | None = None
        self._presets: dict[str, str | None] = {"mem": None, "sc": None}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=self.initial_tab, id="calc-tabs"):
            with TabPane("Memory", id="memory"):
                with Horizontal(classes="calc-body"):
                    with VerticalScroll(id="mem-form", classes="calc-form"):
                        yield Label("Preset", classes="field-label")
                        yield Select(PRESET_CHOICES, prompt="(none: type your own)", id="mem-preset")
                        yield from self._input("mem-params", "Parameters", "7B, 7e9, 175 billion")
                        yield Label("Precision", classes="field-label")
                        yield Select(PRECISIONS, value="bf16", allow_blank=False, id="mem-precision")
                        yield Label("Mode", classes="field-label")
                        yield Select(MODES, value="infer", allow_blank=False, id="mem-mode")
                        yield Label("ZeRO stage (training)", classes="field-label")
                        yield Select(ZERO, value=0, allow_blank=False, id="mem-zero")
                        yield from self._input("mem-gpus", "GPUs (data parallel)", "1")
                        yield Label("GPU", classes="field-label")
                        yield Select(GPU_CHOICES, value="A100", allow_blank=False, id="mem-gpu")
                        yield from self._input("mem-seq", "Sequence length", "2048")
                        yield from self._input("mem-batch", "Micro-batch per GPU", "1")
                        yield from self._input("mem-layers", "Layers (for activations / KV)", "optional, e.g. 32")
                        yield from self._input("mem-hidden", "Hidden size", "optional, e.g. 4096")
                        yield from self._input("mem-heads", "Attention heads", "optional, e.g. 32")
                        yield Label("Activation recompute", classes="field-label")
                        yield Select(RECOMPUTE, value="none", allow_blank=False, id="mem-recompute")
                    with VerticalScroll(id="mem-results", classes="calc-results"):
                        yield Static("", id="mem-title", classes="result-title", markup=False)
                        yield DataTable(id="mem-table", cursor_type="row", zebra_stripes=True)
                        yield Static("", id="mem-total", classes="result-total", markup=False)
                        with Horizontal(id="mem-bar"):
                            for key, label in SEGMENTS:
                                yield Static(label, classes=f"seg seg-{key}", id=f"seg-{key}", markup=False)
                        yield Static("", id="mem-legend", classes="legend", markup=False)
                        yield Static("", id="mem-error", classes="error", markup=False)
                        yield Static("", id="mem-explain", classes="explain", markup=False)
            with TabPane("Scaling", id="scaling"):
                with Horizontal(classes="calc-body"):
                    with VerticalScroll(id="sc-form", classes="calc-form"):
                        yield Label("Preset", classes="field-label")
                        yield Select(PRESET_CHOICES, prompt="(none: type your own)", id="sc-preset")
                        yield from self._input("sc-params", "Parameters N", "70B")
                        yield from self._input("sc-tokens", "Training tokens D", "blank: 20 per parameter")
                        yield from self._input("sc-compute", "Compute C (FLOPs or PF-days)", "blank: 6 N D")
                        yield Label("GPU", classes="field-label")
                        yield Select(GPU_CHOICES, value="A100", allow_blank=False, id="sc-gpu")
                        yield from self._input("sc-mfu", "MFU (model FLOPs utilisation)", "40%")
                        yield from self._input("sc-gpus", "GPUs (for wall-clock days)", "optional, e.g. 1024")
                    with VerticalScroll(id="sc-results", classes="calc-results"):
                        yield Static("", id="sc-title", classes="result-title", markup=False)
                        yield DataTable(id="sc-table", cursor_type="row", zebra_stripes=True)
                        yield Static("", id="sc-verdict", classes="verdict", markup=False)
                        yield Static("", id="sc-error", classes="error", markup=False)
                        yield PlotextPlot(id="sc-plot")
                        yield Static("", id="sc-explain", classes="explain", markup=False)
        yield Footer()

    def _input(self, input_id: str, label: str, placeholder: str) -> ComposeResult:
        table = MEMORY_INPUTS if input_id in MEMORY_INPUTS else SCALING_INPUTS
        yield Label(label, classes="field-label")
        yield Input(table[input_id][1], placeholder=placeholder, id=input_id)
        yield Static("", id=f"{input_id}-error", classes="input-error", markup=False)

    def on_mount(self) -> None:
        self.title = "Calculators"  # the header named the app, as on home, on this screen alone
        mem = self.query_one("#mem-table", DataTable)
        mem.add_column("where the bytes go", key="item")
        mem.add_column("per GPU", key="bytes")
        mem.add_column("share", key="share")
        mem.add_column("how", key="formula")
        sc = self.query_one("#sc-table", DataTable)
        sc.add_column("quantity", key="item")
        sc.add_column("value", key="value")
        sc.add_column("note", key="note")
        self.apply_prefill(self.prefill)
        self.recompute_memory()
        self.recompute_scaling()

    # ------------------------------------------------------------------ prefill & presets
    def apply_prefill(self, values: dict) -> None:
        """Fill inputs from a calc card's variables; unknown names are ignored."""
        if not values:
            return
        preset = values.get("preset", values.get("model"))
        name = calc.resolve_preset_name(preset) if isinstance(preset, str) else None
        if name is not None:
            for prefix in ("mem", "sc"):
                self._set_preset(prefix, name)
        numeric = {"params": ("mem-params", "sc-params"), "tokens": ("sc-tokens",), "compute": ("sc-compute",),
                   "gpus": ("mem-gpus", "sc-gpus"), "num_gpus": ("mem-gpus", "sc-gpus"),
                   "seq_len": ("mem-seq",), "batch": ("mem-batch",), "layers": ("mem-layers",),
                   "hidden": ("mem-hidden",), "heads": ("mem-heads",)}
        for name, targets in numeric.items():
            value = values.get(name)
            if isinstance(value, bool) or value is None:
                continue
            text = qty(float(value)) if isinstance(value, (int, float)) else str(value)
            for target in targets:
                self.query_one(f"#{target}", Input).value = text
        if "compute" in values and "tokens" not in values:
            self.query_one("#sc-tokens", Input).value = ""
            if "params" not in values:
                self.query_one("#sc-params", Input).value = ""
        mfu = values.get("mfu")
        if isinstance(mfu, (int, float)) and not isinstance(mfu, bool):
            self.query_one("#sc-mfu", Input).value = f"{float(mfu) * 100:g}%"
        self._select_if_valid("#mem-precision", str(values.get("precision", "")).lower(), [v for _, v in PRECISIONS])
        gpu = str(values.get("gpu", "")).upper()
        self._select_if_valid("#mem-gpu", gpu, list(calc.GPUS))
        self._select_if_valid("#sc-gpu", gpu, list(calc.GPUS))
        self._select_if_valid("#mem-recompute", str(values.get("recompute", "")).lower(), [v for _, v in RECOMPUTE])
        stage = values.get("zero_stage", values.get("zero", values.get("stage")))
        if isinstance(stage, (int, float)) and not isinstance(stage, bool) and int(stage) in (0, 1, 2, 3):
            self.query_one("#mem-zero", Select).value = int(stage)
            self.query_one("#mem-mode", Select).value = "train"
        if values.get("train") is True:
            self.query_one("#mem-mode", Select).value = "train"

    def _select_if_valid(self, selector: str, value: str, allowed: list) -> None:
        if value in allowed:
            self.query_one(selector, Select).value = value

    def _set_preset(self, prefix: str, name: str) -> None:
        p = calc.PRESETS[name]
        self._presets[prefix] = name
        self.query_one(f"#{prefix}-preset", Select).value = name
        if prefix == "mem":
            values = {"mem-params": qty(p.params), "mem-layers": p.layers, "mem-hidden": p.hidden,
                      "mem-heads": p.heads, "mem-seq": p.seq_len or 2048}
        else:
            values = {"sc-params": qty(p.params), "sc-tokens": qty(p.tokens), "sc-compute": ""}
        for input_id, value in values.items():
            self.query_one(f"#{input_id}", Input).value = "" if value is None else str(value)

    @on(Select.Changed, "#mem-preset, #sc-preset")
    def preset_changed(self, event: Select.Changed) -> None:
        prefix = "mem" if event.select.id == "mem-preset" else "sc"
        value = event.value
        if value is Select.NULL or value is None:
            self._presets[prefix] = None
            return
        if value == self._presets[prefix]:
            return
        self._set_preset(prefix, str(value))

    # ------------------------------------------------------------------ events
    @on(Input.Changed)
    def input_changed(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        if input_id.startswith("mem-"):
            self.recompute_memory()
        elif input_id.startswith("sc-"):
            self.recompute_scaling()

    @on(Select.Changed, "#mem-precision, #mem-mode, #mem-zero, #mem-gpu, #mem-recompute")
    def memory_select_changed(self) -> None:
        self.recompute_memory()

    @on(Select.Changed, "#sc-gpu")
    def scaling_select_changed(self) -> None:
        self.recompute_scaling()

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_switch_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = "scaling" if tabs.active == "memory" else "memory"
        # Focus goes with the tab: a field left focused in the hidden pane would bring its tab
        # straight back (TabbedContent shows the pane holding the focus), so ctrl+t from a field
        # did nothing.
        focused = self.focused
        if focused is not None and any(isinstance(node, TabPane) for node in focused.ancestors):
            prefix = "mem" if tabs.active == "memory" else "sc"
            self.query_one(f"#{prefix}-preset", Select).focus()

    # ------------------------------------------------------------------ reading inputs
    def _read(self, input_id: str, *, optional: bool = False, integer: bool = False, positive: bool = True,
              errors: list[str]) -> float | None:
        """The input's value, or ``None`` when it is empty or wrong; a wrong or missing required
        value also adds its message to ``errors`` (so with no errors, required values are set)."""
        field = (MEMORY_INPUTS.get(input_id) or SCALING_INPUTS[input_id])[0]
        widget = self.query_one(f"#{input_id}", Input)
        message = self.query_one(f"#{input_id}-error", Static)
        text = widget.value.strip()
        value = None
        error = ""
        if not text:
            if not optional:
                error = f"{field}: required"
        else:
            try:
                value = calc.parse_quantity(text, field=field, allow_zero=not positive)
                if integer and not float(value).is_integer():
                    raise ValueError(f"{field}: must be a whole number (got {text!r})")
                if not math.isfinite(value):  # pragma: no cover - parse_quantity guards this
                    raise ValueError(f"{field}: not a finite number")
            except ValueError as err:
                error = str(err)
                value = None
        set_text(message, error)
        if message.display != bool(error):
            message.display = bool(error)
        widget.set_class(bool(error), "invalid-value")
        if error:
            errors.append(error)
        return value

    # ------------------------------------------------------------------ memory tab
    def recompute_memory(self) -> None:
        errors: list[str] = []
        params = self._read("mem-params", errors=errors)
        gpus = self._read("mem-gpus", integer=True, errors=errors)
        seq = self._read("mem-seq", integer=True, errors=errors)
        batch = self._read("mem-batch", integer=True, errors=errors)
        layers = self._read("mem-layers", optional=True, integer=True, errors=errors)
        hidden = self._read("mem-hidden", optional=True, integer=True, errors=errors)
        heads = self._read("mem-heads", optional=True, integer=True, errors=errors)
        status = self.query_one("#mem-error", Static)
        if errors:
            self._clear_memory("Inputs invalid: fix the value marked on the left to see a result.")
            return
        assert params is not None and gpus is not None and seq is not None and batch is not None  # required
        train = self.query_one("#mem-mode", Select).value == "train"
        try:
            report = calc.memory_report(
                params, str(self.query_one("#mem-precision", Select).value), train=train,
                zero_stage=int(str(self.query_one("#mem-zero", Select).value)), num_gpus=int(gpus),
                seq_len=seq, batch=batch,
                layers=int(layers) if layers else None, hidden=int(hidden) if hidden else None,
                heads=int(heads) if heads else None,
                recompute=str(self.query_one("#mem-recompute", Select).value),
                gpu=str(self.query_one("#mem-gpu", Select).value),
            )
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            self._clear_memory(f"Inputs invalid: {err}")
            return
        set_text(status, "")
        self.memory_report = report
        self._show_memory(report)

    def _clear_memory(self, message: str) -> None:
        """Invalid inputs: the panel says so and shows no figure (none of it would be right)."""
        self.memory_report = None
        set_text(self.query_one("#mem-title", Static), "No result")
        self.query_one("#mem-table", DataTable).clear()
        set_text(self.query_one("#mem-total", Static), "")
        for key, _label in SEGMENTS:
            self.query_one(f"#seg-{key}", Static).display = False
        set_text(self.query_one("#mem-legend", Static), "")
        set_text(self.query_one("#mem-explain", Static), "")
        set_text(self.query_one("#mem-error", Static), message)

    def _show_memory(self, r: calc.MemoryReport) -> None:
        mode = "training" if r.train else "inference"
        where = f", ZeRO stage {r.zero_stage} on {r.num_gpus} GPU{'s' if r.num_gpus != 1 else ''}" if r.train else (
            f", split over {r.num_gpus} GPUs" if r.num_gpus > 1 else "")
        set_text(self.query_one("#mem-title", Static), 
            f"{calc.format_count(r.params)} parameters, {r.precision}, {mode}{where}")
        table = self.query_one("#mem-table", DataTable)
        table.clear()
        total = r.total or 1.0
        for item in r.items:
            table.add_row(Text(item.label), Text(calc.format_bytes(item.bytes)), Text(f"{item.bytes / total:.0%}"),
                          Text(item.formula),
                          key=item.key)
        table.add_row(Text("total per GPU", style="bold"), Text(calc.format_bytes(r.total), style="bold"), Text("100%"),
                      Text(calc.format_bytes(r.total, "GiB")), key="total")
        fits = "fits" if r.fits else "does NOT fit"
        set_text(self.query_one("#mem-total", Static), 
            f"Total per GPU: {calc.format_bytes(r.total)} ({calc.format_bytes(r.total, 'GiB')}): {fits} in one "
            f"{r.gpu} with {calc.format_bytes(r.gpu_memory_bytes, 'GB', 3)}.")
        shares = {item.key: item.bytes / total for item in r.items}
        legend = []
        for key, label in SEGMENTS:
            seg = self.query_one(f"#seg-{key}", Static)
            share = shares.get(key, 0.0)
            seg.display = share > 0
            if share > 0:
                seg.styles.width = f"{share:.4f}fr"
            set_text(seg, label if share >= 0.12 else "")
            if key in shares:
                legend.append(f"{label} {share:.0%}")
        set_text(self.query_one("#mem-legend", Static), "  ·  ".join(legend))
        explain = []
        for note in r.notes:
            explain.append(note)
        for c in r.comparisons:
            explain.append("Course rule of thumb vs exact figure (whole model on one GPU):")
            explain.append(f"  {c.course_label}: {calc.format_bytes(c.course_value)}")
            for label, value in c.extra:
                explain.append(f"  {label}: {calc.format_bytes(value)}")
            explain.append(f"  {c.exact_label}: {calc.format_bytes(c.exact_value)}")
            explain.append(c.why)
        if not r.train:
            explain.append("Training needs much more: switch Mode to Training to see gradients, optimizer "
                           "states and activations, and the course's 20x rule next to the exact 16 bytes/param.")
        set_text(self.query_one("#mem-explain", Static), "\n".join(explain))

    # ------------------------------------------------------------------ scaling tab
    def recompute_scaling(self) -> None:
        errors: list[str] = []
        params = self._read("sc-params", optional=True, errors=errors)
        tokens = self._read("sc-tokens", optional=True, errors=errors)
        compute = self._read("sc-compute", optional=True, errors=errors)
        mfu = self._read("sc-mfu", errors=errors)
        gpus = self._read("sc-gpus", optional=True, integer=True, errors=errors)
        if mfu is not None and mfu > 1:
            msg = "mfu: must be at most 100% (or 1)"
            mfu_error = self.query_one("#sc-mfu-error", Static)
            set_text(mfu_error, msg)
            mfu_error.display = True
            errors.append(msg)
        status = self.query_one("#sc-error", Static)
        if errors:
            self._clear_scaling("Inputs invalid: fix the value marked on the left to see a result.")
            return
        assert mfu is not None  # required
        preset = self._presets["sc"]
        k = calc.PRESETS[preset].flops_per_param_token if preset else 6.0
        try:
            report = calc.scaling_report(params, tokens, compute, flops_per_param_token=k,
                                         gpu=str(self.query_one("#sc-gpu", Select).value), mfu=mfu,
                                         num_gpus=int(gpus) if gpus else None)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            self._clear_scaling(f"Inputs invalid: {err}")
            return
        set_text(status, "")
        self.scaling_report = report
        self._show_scaling(report)

    def _clear_scaling(self, message: str) -> None:
        """Invalid inputs: the panel says so and shows no figure, no plot."""
        self.scaling_report = None
        set_text(self.query_one("#sc-title", Static), "No result")
        self.query_one("#sc-table", DataTable).clear()
        set_text(self.query_one("#sc-verdict", Static), "")
        set_text(self.query_one("#sc-explain", Static), "")
        plot = self.query_one("#sc-plot", PlotextPlot)
        plot.plt.clear_figure()
        plot.refresh()
        set_text(self.query_one("#sc-error", Static), message)

    def _show_scaling(self, r: calc.ScalingReport) -> None:
        set_text(self.query_one("#sc-title", Static), 
            f"{calc.format_count(r.params)} parameters trained on {calc.format_count(r.tokens)} tokens")
        table = self.query_one("#sc-table", DataTable)
        table.clear()
        rows = [
            ("compute", "compute C", calc.format_flops(r.compute), f"C = {r.flops_per_param_token:g} N D"),
            ("pf_days", "PF-days", calc.format_sci(r.pf_days), "1 PF-day = 8.64e19 FLOPs"),
            ("gpu_days", f"{r.gpu}-days at {r.mfu:.0%} MFU", calc.format_sci(r.gpu_days),
             f"peak {calc.GPUS[r.gpu].dense_tflops:g} TFLOPS dense"),
            ("gpu_days_peak", f"{r.gpu}-days at peak", calc.format_sci(r.gpu_days_at_peak), "100% MFU, never reached"),
        ]
        if r.wall_days is not None:
            rows.append(("wall_days", "wall-clock days", calc.format_sci(r.wall_days), f"on {r.num_gpus} {r.gpu}s"))
        rows += [
            ("tokens_per_param", "tokens per parameter", f"{r.tokens_per_param:.3g}", "Chinchilla: about 20"),
            ("optimal", "Chinchilla-optimal (20 tok/param)",
             f"{calc.format_count(r.optimal.params)} params, {calc.format_count(r.optimal.tokens)} tokens",
             "N = sqrt(C / 120), D = 20 N"),
            ("approach3", "Approach 3 optimum",
             f"{calc.format_count(r.approach3.params)} params, {calc.format_count(r.approach3.tokens)} tokens",
             "minimum of the fitted loss"),
            ("loss", "predicted loss (Approach 3)", f"{r.chinchilla_loss:.4f}", "nats/token, E + A/N^a + B/D^b"),
        ]
        for key, label, value, note in rows:
            table.add_row(Text(label), Text(value), Text(note), key=key)  # Text: never read as markup
        set_text(self.query_one("#sc-verdict", Static), r.verdict)
        explain = []
        for c in r.comparisons:
            explain.append(f"Course rule of thumb: {c.course_label.removeprefix('course: ')}. "
                           f"Exact: {c.exact_value:.3g} {c.unit} "
                           f"at the {c.exact_label}.")
            explain.append(c.why)
        set_text(self.query_one("#sc-explain", Static), "\n".join(explain))
        self._plot_isoflop(r)

    def _plot_isoflop(self, r: calc.ScalingReport) -> None:
        plot = self.query_one("#sc-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        centre = math.log10(r.approach3.params)
        lo = min(centre - 1.5, math.log10(r.params) - 0.3)
        hi = max(centre + 1.5, math.log10(r.params) + 0.3)
        xs = [lo + (hi - lo) * i / 80 for i in range(81)]
        curve = calc.isoflop_curve(r.compute, [10**x for x in xs])
        plt.plot(xs, [loss for _, _, loss in curve], label=f"C = {calc.format_sci(r.compute)} FLOPs")
        plt.scatter([math.log10(r.params)], [r.chinchilla_loss], marker="x", label="chosen model")
        best = calc.chinchilla_loss(r.approach3.params, r.approach3.tokens)
        plt.scatter([centre], [best], marker="o", label="Approach 3 optimum")
        plt.title("IsoFLOP: loss vs model size at fixed compute")
        plt.xlabel("log10(parameters)")
        plt.ylabel("loss")
        plot.refresh()
