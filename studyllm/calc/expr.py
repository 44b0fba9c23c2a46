"""A tiny hand-written expression language for calc cards (no ``eval``).

Grammar::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := postfix ("**" unary)?
    postfix := atom ("." NAME)*
    atom    := NUMBER | STRING | NAME | NAME "(" [arg ("," arg)*] ")" | "(" expr ")"
    arg     := [NAME "="] expr

NUMBER accepts a glued multiplier: ``7B``, ``1.4T``, ``3.2k``, ``70M``. Only whitelisted
engine functions can be called, and only listed attributes of their results can be read.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from . import memory, scaling
from .presets import Preset, get_preset
from .rules import Comparison
from .units import PF_DAY_FLOPS


class ExprError(Exception):
    """A problem in an expression; ``col`` is 1-based within the expression text."""

    def __init__(self, message: str, col: int = 1, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.col = col
        self.hint = hint


# ---------------------------------------------------------------------------- whitelist


def _preset(name: object) -> Preset:
    return get_preset(str(name))


def _gpu(name: object) -> scaling.GPU:
    return scaling.get_gpu(str(name))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "weights_bytes": memory.weights_bytes,
    "course_training_bytes": memory.course_training_bytes,
    "course_training_breakdown": memory.course_training_breakdown,
    "model_state_bytes": memory.model_state_bytes,
    "activation_bytes": memory.activation_bytes,
    "kv_cache_bytes": memory.kv_cache_bytes,
    "training_flops": scaling.training_flops,
    "pf_days": scaling.pf_days,
    "gpu_days": scaling.gpu_days,
    "gpus_per_pf_day": scaling.gpus_per_pf_day,
    "training_days": scaling.training_days,
    "chinchilla_optimal": scaling.chinchilla_optimal,
    "chinchilla_tokens": scaling.chinchilla_tokens,
    "chinchilla_loss": scaling.chinchilla_loss,
    "chinchilla_approach3_optimal": scaling.chinchilla_approach3_optimal,
    "kaplan_loss": scaling.kaplan_loss,
    "preset": _preset,
    "gpu": _gpu,
    "sqrt": math.sqrt,
    "log10": math.log10,
    "min": min,
    "max": max,
}

# Signatures used to check argument names and counts before anything runs.
_SIGNATURES: dict[str, inspect.Signature | None] = {}
for _name, _fn in FUNCTIONS.items():
    try:
        _SIGNATURES[_name] = inspect.signature(_fn)
    except (TypeError, ValueError):  # builtins such as min/max
        _SIGNATURES[_name] = None

ATTRIBUTES: dict[type, frozenset[str]] = {
    memory.ModelStates: frozenset({"params", "weights", "gradients", "optimizer_states", "total", "bytes_per_param"}),
    memory.CourseTrainingBreakdown: frozenset({"params", "weights", "adam_states", "gradients", "activations_temp",
                                               "total", "total_bytes_per_param"}),
    scaling.ChinchillaSplit: frozenset({"params", "tokens", "tokens_per_param"}),
    Preset: frozenset({"params", "tokens", "layers", "hidden", "heads", "seq_len", "kv_heads", "head_dim",
                       "tokens_per_param", "flops_per_param_token"}),
    scaling.GPU: frozenset({"dense_tflops", "sparse_tflops", "memory_gb"}),
    Comparison: frozenset({"course_value", "exact_value", "ratio"}),
}
ALL_ATTRIBUTES = frozenset().union(*ATTRIBUTES.values())

# Bare words that stand for themselves (strings) or for constants.
WORDS = {name: name for name in memory.BYTES_PER_PARAM}
WORDS.update({name: name for name in scaling.GPUS})
WORDS.update({name: name for name in memory.OPTIMIZER_STATE_BYTES})
WORDS.update({"none": "none", "selective": "selective", "full": "full"})
CONSTANTS = {"true": True, "false": False, "PF_DAY": PF_DAY_FLOPS, "PF_DAY_FLOPS": PF_DAY_FLOPS,
             "GB": 1e9, "GiB": float(2**30), "TB": 1e12, "pi": math.pi}

_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}


# ---------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Num:
    value: float
    col: int


@dataclass(frozen=True)
class Str:
    value: str
    col: int


@dataclass(frozen=True)
class Name:
    name: str
    col: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...]
    col: int


@dataclass(frozen=True)
class Attr:
    obj: Node
    name: str
    col: int


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node
    col: int


@dataclass(frozen=True)
class Neg:
    operand: Node
    col: int


Node: TypeAlias = Num | Str | Name | Call | Attr | BinOp | Neg
# (kind, value, col): the value is a float for "num", a str for "name", "str" and "op", None for "end"
Token: TypeAlias = tuple[str, Any, int]


# ---------------------------------------------------------------------------- tokenizer


def tokenize(text: str) -> list[Token]:
    """Tokens as (kind, value, col). Kinds: num, name, str, op, end."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        col = i + 1
        if "0" <= c <= "9" or (c == "." and i + 1 < n and "0" <= text[i + 1] <= "9"):
            j = i
            while j < n and ("0" <= text[j] <= "9" or text[j] == "."):
                j += 1
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and "0" <= text[k] <= "9":
                    while k < n and "0" <= text[k] <= "9":
                        k += 1
                    j = k
            literal = text[i:j]
            if literal.count(".") > 1:
                raise ExprError(f"bad number {literal!r}", col)
            value = float(literal)
            if j < n and text[j] in _SUFFIX and not (j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == "_")):
                value *= _SUFFIX[text[j]]
                j += 1
            if j < n and (text[j].isalpha() or text[j] == "_"):
                raise ExprError(f"bad number {text[i:j + 1]!r}", col,
                                "numbers take k, M, B or T as a suffix, e.g. 7B or 1.4T")
            tokens.append(("num", value, col))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_"):
                j += 1
            tokens.append(("name", text[i:j], col))
            i = j
        elif c in "'\"":
            j = text.find(c, i + 1)
            if j < 0:
                raise ExprError("unterminated string", col)
            tokens.append(("str", text[i + 1:j], col))
            i = j + 1
        elif text.startswith("**", i):
            tokens.append(("op", "**", col))
            i += 2
        elif c == "^":
            tokens.append(("op", "**", col))
            i += 1
        elif c in "+-*/(),.=":
            tokens.append(("op", c, col))
            i += 1
        elif c in "\u00d7\u00b7":
            tokens.append(("op", "*", col))
            i += 1
        else:
            raise ExprError(f"unexpected character {c!r}", col, "use numbers, names, + - * / ( ) and function calls")
    tokens.append(("end", None, n + 1))
    return tokens


# ---------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def accept(self, op: str) -> bool:
        kind, value, _ = self.peek()
        if kind == "op" and value == op:
            self.pos += 1
            return True
        return False

    def expect(self, op: str) -> None:
        kind, value, col = self.peek()
        if not (kind == "op" and value == op):
            found = "the end" if kind == "end" else repr(value)
            raise ExprError(f"expected {op!r} but found {found}", col)
        self.pos += 1

    def parse(self) -> Node:
        if self.peek()[0] == "end":
            raise ExprError("empty expression", 1)
        node = self.expr()
        kind, value, col = self.peek()
        if kind != "end":
            raise ExprError(f"unexpected {value!r}", col)
        return node

    def expr(self) -> Node:
        node = self.term()
        while True:
            kind, value, col = self.peek()
            if kind == "op" and value in "+-" and len(value) == 1:
                self.pos += 1
                node = BinOp(value, node, self.term(), col)
            else:
                return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            kind, value, col = self.peek()
            if kind == "op" and value in ("*", "/"):
                self.pos += 1
                node = BinOp(value, node, self.unary(), col)
            else:
                return node

    def unary(self) -> Node:
        kind, value, col = self.peek()
        if kind == "op" and value in ("-", "+"):
            self.pos += 1
            operand = self.unary()
            return Neg(operand, col) if value == "-" else operand
        return self.power()

    def power(self) -> Node:
        node = self.postfix()
        kind, value, col = self.peek()
        if kind == "op" and value == "**":
            self.pos += 1
            return BinOp("**", node, self.unary(), col)
        return node

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            kind, value, col = self.peek()
            if kind == "op" and value == ".":
                self.pos += 1
                k2, name, c2 = self.take()
                if k2 != "name":
                    raise ExprError("expected an attribute name after '.'", c2)
                if name not in ALL_ATTRIBUTES:
                    raise ExprError(f"unknown attribute {name!r}", c2,
                                    "readable attributes: " + ", ".join(sorted(ALL_ATTRIBUTES)))
                node = Attr(node, name, c2)
            else:
                return node

    def atom(self) -> Node:
        kind, value, col = self.take()
        if kind == "num":
            return Num(value, col)
        if kind == "str":
            return Str(value, col)
        if kind == "name":
            if self.accept("("):
                if value not in FUNCTIONS:
                    raise ExprError(f"unknown function {value!r}", col, _suggest(value, FUNCTIONS))
                args: list[Node] = []
                kwargs: list[tuple[str, Node]] = []
                if not self.accept(")"):
                    while True:
                        k1, v1, c1 = self.peek()
                        k2, v2, _ = self.tokens[self.pos + 1]
                        if k1 == "name" and k2 == "op" and v2 == "=":
                            self.pos += 2
                            kwargs.append((v1, self.expr()))
                        else:
                            if kwargs:
                                raise ExprError("positional argument after a keyword argument", c1)
                            args.append(self.expr())
                        if self.accept(")"):
                            break
                        self.expect(",")
                call = Call(value, tuple(args), tuple(kwargs), col)
                _check_signature(call)
                return call
            return Name(value, col)
        if kind == "op" and value == "(":
            node = self.expr()
            self.expect(")")
            return node
        found = "the end" if kind == "end" else repr(value)
        raise ExprError(f"expected a number, name or '(' but found {found}", col)


def _suggest(word: str, options: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=3)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return "known: " + ", ".join(sorted(options))


def _check_signature(call: Call) -> None:
    sig = _SIGNATURES.get(call.func)
    if sig is None:
        if call.kwargs:
            raise ExprError(f"{call.func}() takes no keyword arguments", call.col)
        if not call.args:
            raise ExprError(f"{call.func}() needs at least one argument", call.col)
        return
    try:
        sig.bind(*call.args, **dict(call.kwargs))
    except TypeError as err:
        names = ", ".join(sig.parameters)
        raise ExprError(f"{call.func}(): {err}", call.col, f"{call.func}({names})") from None


def parse_expression(text: str) -> Node:
    """Parse an answer expression into a small AST; raises ExprError."""
    return _Parser(text).parse()


# ---------------------------------------------------------------------------- analysis & evaluation


def _children(n: Node) -> list[Node]:
    """The sub-expressions of a node, in evaluation order."""
    if isinstance(n, Call):
        return [*n.args, *(a for _, a in n.kwargs)]
    if isinstance(n, Attr):
        return [n.obj]
    if isinstance(n, BinOp):
        return [n.left, n.right]
    if isinstance(n, Neg):
        return [n.operand]
    return []


def _postorder(node: Node) -> Iterator[Node]:
    """Every node, children before their parent."""
    for child in _children(node):
        yield from _postorder(child)
    yield node


def names_in(node: Node) -> list[tuple[str, int]]:
    """Variable names (Name nodes) used by the expression, with columns."""
    return [(n.name, n.col) for n in _postorder(node) if isinstance(n, Name)]


def calls_in(node: Node) -> list[Call]:
    """Calls in evaluation order (innermost first)."""
    return [n for n in _postorder(node) if isinstance(n, Call)]


def resolve_name(name: str, env: dict[str, Any]) -> Any:
    if name in env:
        return env[name]
    if name in CONSTANTS:
        return CONSTANTS[name]
    if name in WORDS:
        return WORDS[name]
    raise ExprError(f"unknown variable {name!r}", 1)


def _number(value: object, col: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"cannot do arithmetic on {value!r}", col,
                        "read a number from a result with .total, .params, .tokens ...")
    return value


def evaluate(node: Node, env: dict[str, Any], trace: list[Any] | None = None) -> Any:
    """Evaluate the AST with variables from ``env``. ``trace`` collects (call, args, kwargs, result)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Str):
        return node.value
    if isinstance(node, Name):
        try:
            return resolve_name(node.name, env)
        except ExprError as err:
            raise ExprError(err.message, node.col) from None
    if isinstance(node, Neg):
        return -_number(evaluate(node.operand, env, trace), node.col)
    if isinstance(node, BinOp):
        a = _number(evaluate(node.left, env, trace), node.col)
        b = _number(evaluate(node.right, env, trace), node.col)
        try:
            if node.op == "+":
                result = a + b
            elif node.op == "-":
                result = a - b
            elif node.op == "*":
                result = a * b
            elif node.op == "/":
                result = a / b
            else:
                if abs(b) > 1000:
                    raise ExprError("exponent too large", node.col)
                result = a**b
        except ZeroDivisionError:
            raise ExprError("division by zero", node.col) from None
        except OverflowError:
            raise ExprError("number too large", node.col) from None
        if isinstance(result, complex) or not math.isfinite(result):
            raise ExprError("result is not a finite number", node.col)
        return result
    if isinstance(node, Attr):
        obj = evaluate(node.obj, env, trace)
        allowed = ATTRIBUTES.get(type(obj), frozenset())
        if node.name not in allowed:
            what = type(obj).__name__ if allowed else f"{obj!r}"
            hint = ("it has: " + ", ".join(sorted(allowed))) if allowed else ""
            raise ExprError(f"{what} has no attribute {node.name!r}", node.col, hint)
        return getattr(obj, node.name)
    if isinstance(node, Call):
        args = [evaluate(a, env, trace) for a in node.args]
        kwargs = {k: evaluate(a, env, trace) for k, a in node.kwargs}
        try:
            result = FUNCTIONS[node.func](*args, **kwargs)
        except ValueError as err:
            raise ExprError(f"{node.func}(): {err}", node.col) from None
        except (TypeError, OverflowError, ZeroDivisionError, AttributeError) as err:
            raise ExprError(f"{node.func}(): {err}", node.col) from None
        if trace is not None:
            trace.append((node, args, kwargs, result))
        return result
    raise ExprError("cannot evaluate", 1)  # pragma: no cover


def render(node: Node, env: dict[str, Any] | None = None, fmt: Callable[[Any], str] | None = None) -> str:
    """The expression as text, with variables replaced by their values when ``env`` is given."""
    env = env or {}
    show: Callable[[Any], str] = fmt or (lambda v: f"{v:g}" if isinstance(v, float) else str(v))

    def r(n: Node, parent_prec: int = 0) -> str:
        if isinstance(n, Num):
            return show(n.value)
        if isinstance(n, Str):
            return n.value
        if isinstance(n, Name):
            return show(env[n.name]) if n.name in env else n.name
        if isinstance(n, Neg):
            return "-" + r(n.operand, 3)
        if isinstance(n, Attr):
            return f"{r(n.obj, 4)}.{n.name}"
        if isinstance(n, Call):
            parts = [r(a) for a in n.args] + [f"{k}={r(a)}" for k, a in n.kwargs]
            return f"{n.func}({', '.join(parts)})"
        if isinstance(n, BinOp):
            prec = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 3}[n.op]
            sym = {"*": "×", "/": "/", "+": "+", "-": "−", "**": "^"}[n.op]
            text = f"{r(n.left, prec)} {sym} {r(n.right, prec + (n.op in '-/'))}"
            return f"({text})" if prec < parent_prec else text
        raise TypeError(f"not an expression node: {n!r}")  # pragma: no cover

    return r(node)
