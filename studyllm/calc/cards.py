"""Calculator cards: a fenced ```calc block in a deck defines a numeric card.

Body format (hand-parsed ``key: value`` lines; see docs/calc-cards.md)::

    question: How many GB does it take to store the weights of a {params} model in {precision}?
    vars:
      params: choice(1B, 3B, 7B, 13B, 70B)
      precision: choice(fp32, fp16, bf16, int8)
    answer: weights_bytes(params, precision)
    unit: GB
    tolerance: 2%

API used by the rest of the app:

- ``parse_spec(body) -> CalcSpec`` (raises ``CalcSpecError(message, line)`` with ``.hint``)
- ``draw(spec, seed) -> CalcQuestion`` (deterministic per seed)
- ``check(question, typed) -> CheckResult``
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from . import expr as _expr
from .explain import explain_call
from .units import BYTE_UNITS, FLOP_UNITS, format_count, format_sci, parse_quantity, split_quantity


class CalcSpecError(Exception):
    """A bad calc block. ``line`` is 1-based within the block body; ``hint`` says how to fix it."""

    def __init__(self, message: str, line: int = 1, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        text = f"line {self.line}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


# ---------------------------------------------------------------------------- units

# unit text (lower-case) -> (dimension, factor from base unit); answer in unit = base / factor
_COUNT_MULT = {"": 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9,
               "t": 1e12, "trillion": 1e12}
_COUNT_NOUNS = {"", "params", "parameters", "tokens", "gpus", "gpu-days", "days", "hours", "gpu-hours",
                "nats", "x", "tokens/param", "layers", "gpu days", "a100-days", "v100-days", "h100-days"}
UNIT_EXAMPLES = ("GB", "GiB", "MB", "TB", "bytes", "FLOPs", "PF-days", "params", "tokens", "B params",
                 "T tokens", "GPUs", "GPU-days", "days", "nats", "x", "%")


def unit_info(unit: str) -> tuple[str, float]:
    """(dimension, factor) for a unit; raises ValueError for an unknown unit."""
    u = " ".join(unit.strip().lower().split())
    if u in BYTE_UNITS:
        return "bytes", BYTE_UNITS[u]
    if u in FLOP_UNITS:
        return "flops", FLOP_UNITS[u]
    if u == "%":
        return "number", 0.01
    if u in _COUNT_NOUNS:
        return "number", 1.0
    head, _, noun = u.partition(" ")
    if head in _COUNT_MULT and noun in _COUNT_NOUNS:
        return "number", _COUNT_MULT[head]
    raise ValueError(f"unknown unit {unit!r}")


@dataclass(frozen=True)
class Tolerance:
    value: float
    relative: bool

    def allows(self, expected: float, got: float) -> bool:
        limit = self.value * abs(expected) if self.relative else self.value
        return abs(got - expected) <= limit * (1 + 1e-12) + 1e-300

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"±{format_sci(self.value)}"


# ---------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class VarSpec:
    name: str
    kind: str  # "choice", "range", "logrange", "const"
    options: tuple = ()  # choice: ((value, text), ...); const: ((value, text),)
    lo: float = 0.0
    hi: float = 0.0
    step: float | None = None
    line: int = 1


@dataclass(frozen=True)
class CalcSpec:
    question: str
    variables: tuple[VarSpec, ...]
    answer: str
    answer_ast: _expr.Node
    unit: str
    dimension: str
    unit_factor: float
    tolerance: Tolerance
    note: str = ""
    lines: dict = field(default_factory=dict, compare=False)

    @property
    def var_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)


KEYS = ("question", "vars", "answer", "unit", "tolerance", "note")
_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$")
_VAR_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$")
_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def _parse_value(text: str, name: str, line: int) -> tuple[object, str]:
    t = text.strip().strip("'\"").strip()
    if not t:
        raise CalcSpecError(f"empty value for variable {name!r}", line)
    try:
        return parse_quantity(t, field=name, allow_negative=True), t
    except ValueError:
        pass
    if _WORD_RE.match(t):
        return t, t
    raise CalcSpecError(f"cannot read {t!r} as a number or a word for variable {name!r}", line,
                        "numbers like 7B, 2048, 1.4e12; words like bf16, A100")


def _split_args(inner: str) -> list[str]:
    return [a.strip() for a in inner.split(",")]


def _parse_var(name: str, spec: str, line: int) -> VarSpec:
    s = spec.strip()
    m = re.match(r"^(choice|range|logrange)\s*\((.*)\)\s*$", s, re.S)
    if m is None:
        if re.match(r"^[A-Za-z_]+\s*\(", s):
            fn = s.split("(", 1)[0].strip()
            raise CalcSpecError(f"unknown generator {fn!r} for variable {name!r}", line,
                                "use choice(a, b, ...), range(lo, hi), range(lo, hi, step) or logrange(lo, hi)")
        value, text = _parse_value(s, name, line)
        return VarSpec(name, "const", ((value, text),), line=line)
    kind, inner = m.group(1), m.group(2)
    args = _split_args(inner)
    if kind == "choice":
        if not inner.strip() or any(not a for a in args):
            raise CalcSpecError(f"choice() for {name!r} needs values separated by commas", line,
                                "e.g. choice(1B, 7B, 70B)")
        return VarSpec(name, "choice", tuple(_parse_value(a, name, line) for a in args), line=line)
    if len(args) not in ((2, 3) if kind == "range" else (2,)):
        raise CalcSpecError(f"bad range for {name!r}: {kind}() takes "
                            f"{'2 or 3' if kind == 'range' else '2'} numbers", line,
                            "range(lo, hi), range(lo, hi, step) or logrange(lo, hi)")
    nums = []
    for a in args:
        try:
            nums.append(parse_quantity(a, field=name, allow_negative=True))
        except ValueError as err:
            raise CalcSpecError(f"bad range for {name!r}: {err}", line, "e.g. range(1B, 70B)") from None
    lo, hi = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else None
    if not lo < hi:
        raise CalcSpecError(f"bad range for {name!r}: low end {args[0]} is not below high end {args[1]}", line,
                            "write the smaller number first")
    if step is not None and step <= 0:
        raise CalcSpecError(f"bad range for {name!r}: step must be positive", line)
    if step is not None and (hi - lo) / step > 1e6:
        raise CalcSpecError(f"bad range for {name!r}: more than a million steps", line)
    if kind == "logrange" and lo <= 0:
        raise CalcSpecError(f"bad range for {name!r}: logrange needs a positive low end", line)
    return VarSpec(name, kind, (), lo, hi, step, line)


def parse_spec(body: str) -> CalcSpec:
    """Parse a calc block body. Raises CalcSpecError with a 1-based line within the body."""
    if not isinstance(body, str):
        raise CalcSpecError("calc block body must be text", 1)
    lines = body.splitlines()
    found: dict[str, tuple[str, int]] = {}
    variables: list[VarSpec] = []
    current = None
    literal: set[str] = set()
    last_line = 1
    for number, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        last_line = number
        indented = raw[:1] in (" ", "\t")
        if indented:
            if current == "vars":
                m = _VAR_RE.match(raw.strip())
                if not m:
                    raise CalcSpecError(f"expected 'name: generator' under vars, got {raw.strip()!r}", number,
                                        "e.g.   params: choice(1B, 7B)")
                name = m.group(1)
                if name in {v.name for v in variables}:
                    raise CalcSpecError(f"variable {name!r} defined twice", number)
                if name in _expr.CONSTANTS:
                    raise CalcSpecError(f"variable name {name!r} is taken by a constant", number)
                variables.append(_parse_var(name, m.group(2), number))
            elif current in ("question", "note"):
                # YAML's rule: a plain or folded ('>') continuation line joins with a space, a
                # literal ('|') block keeps its line breaks.
                text, start = found[current]
                joiner = "\n" if current in literal else " "
                found[current] = ((text + joiner + raw.strip()).strip(), start)
            else:
                raise CalcSpecError(f"unexpected indented line {raw.strip()!r}", number,
                                    "only vars entries and question/note continuation lines are indented")
            continue
        m = _KEY_RE.match(raw)
        if not m:
            raise CalcSpecError(f"expected 'key: value', got {raw.strip()!r}", number,
                                "keys: " + ", ".join(KEYS))
        key, value = m.group(1).lower(), m.group(2).strip()
        if key not in KEYS:
            raise CalcSpecError(f"unknown key {key!r}", number, "keys: " + ", ".join(KEYS))
        if key in found:
            raise CalcSpecError(f"{key!r} given twice", number)
        if key == "vars" and value:
            raise CalcSpecError("put each variable on its own indented line under 'vars:'", number)
        if key in ("question", "note") and value in ("|", ">"):
            if value == "|":
                literal.add(key)
            value = ""
        found[key] = (value, number)
        current = key

    for key in ("question", "answer"):
        if key not in found or not found[key][0].strip():
            line = found[key][1] if key in found else last_line
            raise CalcSpecError(f"missing {key}", line, f"add a line '{key}: ...'")
    if "tolerance" not in found or not found["tolerance"][0]:
        line = found["tolerance"][1] if "tolerance" in found else last_line
        raise CalcSpecError("missing tolerance", line, "add a line such as 'tolerance: 2%' (relative) or "
                            "'tolerance: 0.5' (absolute, in the answer's unit)")

    tol_text, tol_line = found["tolerance"]
    tolerance = _parse_tolerance(tol_text, tol_line)

    unit_text, unit_line = found.get("unit", ("", found["answer"][1]))
    try:
        dimension, factor = unit_info(unit_text)
    except ValueError:
        raise CalcSpecError(f"bad unit {unit_text!r}", unit_line,
                            "units: " + ", ".join(UNIT_EXAMPLES)) from None

    names = {v.name for v in variables}
    question, q_line = found["question"]
    for m in _PLACEHOLDER_RE.finditer(question):
        ref = m.group(1).strip()
        if ref not in names:
            offset = question[: m.start()].count("\n")
            raise CalcSpecError(f"unknown variable {{{ref}}} in question", q_line + offset,
                                _known_vars(names))

    answer, a_line = found["answer"]
    try:
        ast = _expr.parse_expression(answer)
    except _expr.ExprError as err:
        raise CalcSpecError(f"answer: {err.message} (column {err.col})", a_line, err.hint) from None
    for name, col in _expr.names_in(ast):
        if name not in names and name not in _expr.CONSTANTS and name not in _expr.WORDS:
            raise CalcSpecError(f"unknown variable {name!r} in answer (column {col})", a_line, _known_vars(names))

    spec = CalcSpec(
        question=question, variables=tuple(variables), answer=answer, answer_ast=ast, unit=unit_text.strip(),
        dimension=dimension, unit_factor=factor, tolerance=tolerance,
        note=found.get("note", ("", 0))[0],
        lines={k: v[1] for k, v in found.items()},
    )
    # Try the answer on every corner of the variables' ranges (and a few random draws) so that
    # type and domain errors show up at import, with the line number, not during a review.
    for values in _corner_values(spec):
        _answer(spec, values)
    for seed in range(8):
        _answer(spec, _draw_values(spec, random.Random(seed))[0])
    return spec


def _corner_values(spec: CalcSpec, limit: int = 256) -> Iterator[dict[str, object]]:
    """Combinations of each variable's extreme values: every choice, both ends of a range."""
    import itertools

    options: list[list[object]] = []
    for v in spec.variables:
        if v.kind in ("const", "choice"):
            vals = [value for value, _ in v.options]
        elif v.kind == "range" and v.step is not None:
            count = int(math.floor((v.hi - v.lo) / v.step + 1e-9))
            vals = [v.lo, float(f"{v.lo + v.step * count:.12g}")]
        else:  # draws are clamped to [lo, hi], so both ends can come up
            vals = [v.lo, v.hi]
        options.append([int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 1e6 else x for x in vals])
    names = [v.name for v in spec.variables]
    for combo in itertools.islice(itertools.product(*options), limit):
        yield dict(zip(names, combo, strict=True))


def _known_vars(names: Iterable[str]) -> str:
    known = sorted(names)
    return ("variables: " + ", ".join(known)) if known else "define variables under 'vars:'"


def _parse_tolerance(text: str, line: int) -> Tolerance:
    t = text.strip().lstrip("±").strip()
    try:
        if t.endswith("%"):
            value = float(parse_quantity(t[:-1], field="tolerance")) / 100
            relative = True
        else:
            value = parse_quantity(t, field="tolerance")
            relative = False
    except ValueError:
        raise CalcSpecError(f"bad tolerance {text!r}", line, "write e.g. '2%' or '0.5'") from None
    if value <= 0 or (relative and value >= 1):
        raise CalcSpecError(f"bad tolerance {text!r}: must be above 0 (and below 100%)", line)
    return Tolerance(value, relative)


# ---------------------------------------------------------------------------- draw


def _round_sig(x: float, sig: int = 2) -> float:
    if x == 0:
        return 0.0
    digits = sig - 1 - int(math.floor(math.log10(abs(x))))
    return round(x, digits)


def _display(value: str | float) -> str:
    if isinstance(value, str):
        return value
    return format_count(value)


def _draw_values(spec: CalcSpec, rng: random.Random) -> tuple[dict, dict]:
    values, texts = {}, {}
    for v in spec.variables:
        if v.kind in ("const", "choice"):
            value, text = v.options[rng.randrange(len(v.options))] if v.kind == "choice" else v.options[0]
        elif v.kind == "range" and v.step is not None:
            count = int(math.floor((v.hi - v.lo) / v.step + 1e-9)) + 1
            value = v.lo + v.step * rng.randrange(count)
            value = float(f"{value:.12g}")
            text = _display(value)
        elif v.kind == "range" and float(v.lo).is_integer() and float(v.hi).is_integer() and abs(v.hi) < 1e6:
            value = float(rng.randint(int(v.lo), int(v.hi)))
            text = _display(value)
        elif v.kind == "range":
            value = min(max(_round_sig(rng.uniform(v.lo, v.hi)), v.lo), v.hi)
            text = _display(value)
        else:  # logrange
            value = _round_sig(math.exp(rng.uniform(math.log(v.lo), math.log(v.hi))))
            value = min(max(value, v.lo), v.hi)
            text = _display(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value) if abs(value) < 1e6 else value
        values[v.name] = value
        texts[v.name] = text
    return values, texts


def _answer(spec: CalcSpec, values: dict, trace: list | None = None) -> float:
    line = spec.lines.get("answer", 1)
    try:
        raw = _expr.evaluate(spec.answer_ast, values, trace)
    except _expr.ExprError as err:
        shown = ", ".join(f"{k}={_display(v)}" for k, v in values.items())
        raise CalcSpecError(f"answer: {err.message}" + (f" (with {shown})" if shown else ""), line, err.hint) from None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        kind = type(raw).__name__
        hint = ""
        attrs = _expr.ATTRIBUTES.get(type(raw))
        if attrs:
            order = sorted(attrs, key=lambda a: (a != "total", a))
            hint = "pick a number from it, e.g. ." + " or .".join(order[:3])
        raise CalcSpecError(f"answer gives a {kind}, not a number", line, hint)
    if not math.isfinite(raw):
        raise CalcSpecError("answer is not a finite number", line)
    return float(raw) / spec.unit_factor


@dataclass(frozen=True)
class CalcQuestion:
    spec: CalcSpec
    seed: int
    prompt: str          # Markdown
    values: dict         # variable name -> value (numbers in base units, or words)
    texts: dict          # variable name -> text shown in the prompt
    answer: float        # in ``unit``
    unit: str
    tolerance: Tolerance
    solution: str        # Markdown worked solution
    tab: str             # which calculator tab fits: "memory" or "scaling"

    @property
    def answer_text(self) -> str:
        return f"{format_sci(self.answer, 4)} {self.unit}".strip()


_SCALING_FUNCS = {"training_flops", "pf_days", "gpu_days", "gpus_per_pf_day", "training_days", "chinchilla_optimal",
                  "chinchilla_tokens", "chinchilla_loss", "chinchilla_approach3_optimal", "kaplan_loss"}


def draw(spec: CalcSpec, seed: int) -> CalcQuestion:
    """Draw the variables with a seeded RNG (same seed, same question) and work out the answer."""
    rng = random.Random(seed if isinstance(seed, int) else str(seed))
    values, texts = _draw_values(spec, rng)
    trace: list = []
    answer = _answer(spec, values, trace)
    given = dict(texts)  # as the deck wrote them ("60 GB", "268 PF-days", "35%"), for the solution
    texts = _state_preset_inputs(spec, values, texts)
    prompt = _PLACEHOLDER_RE.sub(lambda m: texts[m.group(1).strip()], spec.question)
    prompt = prompt.replace("{{", "{").replace("}}", "}")
    used = {c.func for c in _expr.calls_in(spec.answer_ast)}
    tab = "scaling" if used & _SCALING_FUNCS else "memory"
    return CalcQuestion(spec=spec, seed=seed, prompt=prompt, values=values, texts=texts, answer=answer,
                        unit=spec.unit, tolerance=spec.tolerance,
                        solution=_solution(spec, values, given, trace, answer), tab=tab)


_PRESET_FIELDS = (("params", "parameters"), ("tokens", "training tokens"))


def _state_preset_inputs(spec: CalcSpec, values: dict, texts: dict) -> dict:
    """A variable the answer reads through ``preset(var).field`` is shown with the figures the
    answer uses ("LLaMA 7B (6.7B parameters, 1T training tokens)"), so the question states every
    input: with a 2-3% tolerance the nominal "7B" alone would be marked wrong."""
    from .presets import get_preset  # the answer already evaluated, so the name is a preset

    out = dict(texts)
    for name in {m.group(1) for m in re.finditer(r"\bpreset\(\s*(\w+)\s*\)", spec.answer)}:
        value = values.get(name)
        if not isinstance(value, str):
            continue
        p = get_preset(value)
        used = set(re.findall(rf"\bpreset\(\s*{name}\s*\)\.(\w+)", spec.answer))
        parts = [f"{format_count(getattr(p, f))} {words}" for f, words in _PRESET_FIELDS if f in used]
        if "flops_per_param_token" in used:
            parts.append(f"counted at {p.flops_per_param_token:g} training FLOPs per parameter per token")
        out[name] = f"{p.label} ({', '.join(parts)})" if parts else p.label
    return out


def _solution(spec: CalcSpec, values: dict, given: dict, trace: list, answer: float) -> str:
    """The worked solution. Inputs are shown as the question shows them, with their units ("60 GB",
    "268 PF-days"), never as a bare base-unit count ("60B" for 60 GB, "2.32e7Q" for 268 PF-days)."""
    lines: list[str] = []
    if values:
        lines.append("Given " + ", ".join(f"{k} = {given.get(k, _display(v))}" for k, v in values.items()) + ".")
        lines.append("")
    seen = set()
    for call, args, kwargs, _result in trace:
        key = (call.func, tuple(map(repr, args)), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        if key in seen:
            continue
        seen.add(key)
        try:
            steps = explain_call(call.func, tuple(args), kwargs)
        # The call already ran once in evaluate(), so only what it can raise there can come back here;
        # KeyError covers a table lookup the explainer does itself. An explanation never breaks a review.
        except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError):
            steps = []
        for step in steps:
            lines.append(f"  {step}" if step.startswith("- ") else f"- {step}")
    shown = _expr.render(spec.answer_ast, {k: given.get(k, v) for k, v in values.items()}, fmt=_fmt_value)
    base = answer * spec.unit_factor
    conversion = ""
    if spec.unit_factor != 1:
        base_unit = {"bytes": "bytes", "flops": "FLOPs"}.get(spec.dimension, "")
        conversion = f" = {format_sci(base)} {base_unit}".rstrip() + f" ÷ {format_sci(spec.unit_factor)}"
    lines.append(f"- Answer: `{shown}`{conversion} = **{_with_unit(answer, spec.unit)}**".rstrip())
    if spec.note:
        lines.append("")
        lines.append(spec.note)
    return "\n".join(lines)


def _with_unit(value: float, unit: str) -> str:
    """"145.83 PF-days", "16x" for a ratio, "25%" for a percentage."""
    number = format_sci(value, 4)
    if unit.lower() in ("x", "%"):
        return f"{number}{unit}"
    return f"{number} {unit}".strip()


def _fmt_value(v: str | float) -> str:
    if isinstance(v, str):
        return v
    return format_sci(v)


# ---------------------------------------------------------------------------- check


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    value: float | None      # the typed answer in the question's unit, or None if unreadable
    message: str
    suggested_grade: int | None


def parse_answer(question: CalcQuestion, typed: str) -> float:
    """The typed answer converted to the question's unit. Raises ValueError."""
    number, unit = split_quantity(typed)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    spec = question.spec
    if not unit:
        return number
    if unit in BYTE_UNITS or unit in FLOP_UNITS:
        dim = "bytes" if unit in BYTE_UNITS else "flops"
        if dim != spec.dimension:
            want = spec.unit or "a plain number"
            kind = "memory" if dim == "bytes" else "compute"
            raise ValueError(f"{unit!r} is a unit of {kind}; the answer is in {want}")
        factor = BYTE_UNITS.get(unit) or FLOP_UNITS[unit]
        return number * factor / spec.unit_factor
    if unit == "%":
        if spec.unit == "%":
            return number
        return number / 100 / spec.unit_factor
    try:
        dim, factor = unit_info(unit)
    except ValueError:
        try:
            base = parse_quantity(typed, field="answer", allow_negative=True)
        except ValueError:
            raise ValueError(f"unknown unit {unit!r}") from None
        dim, factor = "number", base / number if number else 1.0
    if spec.dimension != "number":
        kind = "memory unit such as GB" if spec.dimension == "bytes" else "compute unit such as FLOPs or PF-days"
        raise ValueError(f"give a {kind}")
    # "1.4T" for a question in tokens, "14B" for one in params, "70 billion" in "B params" ...
    try:
        own_dim, own_factor = unit_info(unit)
        if own_factor == spec.unit_factor and own_dim == spec.dimension:
            return number
    except ValueError:
        pass
    return number * factor / spec.unit_factor


def check(question: CalcQuestion, typed: str) -> CheckResult:
    """Check a typed answer within the card's tolerance; units are allowed ("14 GB", "1.4e12")."""
    expected = question.answer
    shown = question.answer_text
    try:
        value = parse_answer(question, typed)
    except ValueError as err:
        # a fixed example, never this card's answer (the answer's own figure would give it away)
        number = next(x for x in (12.5, 3.75, 840.0) if not question.tolerance.allows(expected, x))
        example = f"{format_sci(number, 3)} {question.unit}".rstrip()
        return CheckResult(False, None, f"Could not read {typed.strip()!r}: {err}. Type a number, "
                                        f"optionally with a unit, e.g. {example}", None)
    if question.tolerance.allows(expected, value):
        return CheckResult(True, value, f"Correct: {format_sci(value, 4)} {question.unit} "
                                        f"(answer {shown}, tolerance {question.tolerance}).", 4)
    message = f"Not quite: you gave {format_sci(value, 4)} {question.unit}, the answer is {shown}.".replace("  ", " ")
    hint = _slip_hint(question, value)
    if hint:
        message += " " + hint
    near = Tolerance(question.tolerance.value * 5, question.tolerance.relative)
    grade = 2 if near.allows(expected, value) else 1
    return CheckResult(False, value, message, grade)


_GIB = "That looks like GiB (2^30 bytes) where GB (10^9 bytes) was asked, or the reverse."
_BYTES_PER_PARAM = "Off by a factor of 2: check bytes per parameter (fp16/bf16 is 2, fp32 is 4)."
# Each hint belongs to the dimension of the answer: a "GiB vs GB" hint on a FLOPs answer misleads.
_SLIPS: dict[str, tuple[tuple[float, str], ...]] = {
    "bytes": (
        (2**30 / 1e9, _GIB), (1e9 / 2**30, _GIB),
        (2.0, _BYTES_PER_PARAM), (0.5, _BYTES_PER_PARAM),
        (1e9, "Off by 1e9: did you give bytes instead of GB?"),
        (1e-9, "Off by 1e9: did you give GB where bytes were asked?"),
        (1e3, "Off by 1000: check the unit prefix (MB vs GB, GB vs TB)."),
        (1e-3, "Off by 1000: check the unit prefix (MB vs GB, GB vs TB)."),
    ),
    "flops": (
        (8.64e19, "Off by 8.64e19: that is FLOPs where PF-days were asked (1 PF-day = 8.64e19 FLOPs)."),
        (1 / 8.64e19, "Off by 8.64e19: that is PF-days where FLOPs were asked (1 PF-day = 8.64e19 FLOPs)."),
        (86_400, "Off by 86,400: check seconds against days (a PF-day is 10^15 FLOP/s for a day)."),
        (1 / 86_400, "Off by 86,400: check seconds against days (a PF-day is 10^15 FLOP/s for a day)."),
        (2.0, "Off by a factor of 2: check the FLOPs per parameter per token (6 for training, 2 forward only)."),
        (0.5, "Off by a factor of 2: check the FLOPs per parameter per token (6 for training, 2 forward only)."),
        (3.0, "Off by a factor of 3: 6 FLOPs per parameter per token for training, 2 for a forward pass."),
        (1 / 3, "Off by a factor of 3: 6 FLOPs per parameter per token for training, 2 for a forward pass."),
        (1e3, "Off by 1000: check the prefix (TFLOP vs PFLOP, PF-days vs EF-days)."),
        (1e-3, "Off by 1000: check the prefix (TFLOP vs PFLOP, PF-days vs EF-days)."),
    ),
    "number": (
        (1e9, "Off by 1e9: did you give a plain count where billions were asked, or the reverse?"),
        (1e-9, "Off by 1e9: did you give billions where a plain count was asked, or the reverse?"),
        (1e3, "Off by 1000: check the prefix (M vs B, B vs T)."),
        (1e-3, "Off by 1000: check the prefix (M vs B, B vs T)."),
        (100.0, "Off by 100: a percentage where a fraction was asked, or the reverse?"),
        (0.01, "Off by 100: a fraction where a percentage was asked, or the reverse?"),
    ),
}


def _slip_hint(question: CalcQuestion, value: float) -> str:
    """A hint for a typed value that is the answer times a known slip factor of the answer's own
    dimension (memory, compute or a count), or "" when none fits."""
    expected = question.answer
    if expected == 0 or value == 0:
        return ""
    tol = question.tolerance
    relative = Tolerance(tol.value if tol.relative else tol.value / abs(expected), True)
    for factor, text in _SLIPS.get(question.spec.dimension, ()):
        if relative.allows(expected * factor, value):
            return text
    return ""


_TRAINING_FUNCS = {"course_training_bytes", "course_training_breakdown", "model_state_bytes"}
# parameter names of the engine functions -> the calculator's input names
_CALC_ARG_NAMES = {"params": "params", "precision": "precision", "zero_stage": "zero_stage",
                   "num_gpus": "gpus", "gpus": "gpus", "gpu": "gpu", "mfu": "mfu", "tokens": "tokens",
                   "seq_len": "seq_len", "batch": "batch", "hidden": "hidden", "n_layers": "layers",
                   "layers": "layers", "heads": "heads"}


def calculator_inputs(q: CalcQuestion) -> dict[str, object]:
    """Every input the calculator screen needs to show this card's case: the drawn variables,
    plus what the answer expression fixes (a literal precision or GPU, the ZeRO stage and GPU
    count passed as keywords) and the mode: training when the answer counts training memory
    (model states, the course's training rules), else inference. Mixed-precision model states
    are shown as bf16 (their 16-bit weights); the course's training rules as fp32 unless the
    card names a precision."""
    import inspect

    from .memory import BYTES_PER_PARAM as PRECISION_BYTES
    from .scaling import GPUS

    out: dict[str, object] = dict(q.values)
    env = dict(q.values)
    train = False
    for call in _expr.calls_in(q.spec.answer_ast):
        fn = _expr.FUNCTIONS.get(call.func)
        if call.func in _TRAINING_FUNCS:
            train = True
            if call.func == "model_state_bytes":
                out.setdefault("precision", "bf16")
            else:
                out.setdefault("precision", "fp32")
        try:
            params = list(inspect.signature(fn).parameters) if fn is not None else []
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = []
        bound = [(params[i] if i < len(params) else "", node) for i, node in enumerate(call.args)]
        bound += list(call.kwargs)
        for arg_name, node in bound:
            value: object = None
            if isinstance(node, (_expr.Num, _expr.Str)):
                value = node.value
            elif isinstance(node, _expr.Name):
                value = _expr.resolve_name(node.name, env) if node.name in env or node.name in _expr.CONSTANTS \
                    else node.name
            if value is None or isinstance(value, bool):
                continue
            if isinstance(value, str) and value.lower() in PRECISION_BYTES:
                out["precision"] = value.lower()
            elif isinstance(value, str) and value.upper() in GPUS:
                out["gpu"] = value.upper()
            elif arg_name in _CALC_ARG_NAMES and _CALC_ARG_NAMES[arg_name] not in out:
                out[_CALC_ARG_NAMES[arg_name]] = value
    if train:
        out["train"] = True
    out.setdefault("train", False)
    return out
