"""LaTeX math (``$…$``, ``$$…$$`` in cards) as readable one-line Unicode.

``to_unicode(r"\\frac{QK^T}{\\sqrt{d_k}}")`` gives ``QKᵀ/√d_k``: Greek letters and symbols
as their characters (α, Σ, ≈, ∝, ℝ), fractions on one line, digits and signs in
superscripts and subscripts as Unicode (N², 10¹³, x₁), other scripts as ``_k`` or
``^(0.73)``, roots as ``√d_k`` or ``√(C / 120)``.

The LaTeX is read by pylatexenc (its parser and its table of macros and symbols); this
module adds what a one-line display needs and pylatexenc's text output doesn't do:
scripts, fractions and roots that keep their grouping, and spaces as written. A formula
it can't read (unbalanced braces, a macro it doesn't know, which pylatexenc would drop
silently) gives ``None``: the caller shows the source as typed.

pylatexenc is imported on the first formula (about 35 ms), so cards without math never
pay for it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import Any

__all__ = ["MAX_FORMULA", "find_formula", "replace_math", "to_unicode"]

MAX_FORMULA = 2000  # longer "formulas" are shown as typed (and a stray $ can't make a huge one)

_SUP = dict(zip("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ", strict=True))
_SUB = dict(zip("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", strict=True))
_FRACTIONS = {("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾"}
# operators written as words: a space before them, as LaTeX sets them
_FUNCTIONS = ("log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "max", "min", "arg", "det",
              "lim", "sup", "inf", "Pr")
# one token, scripts included (N^α, d_k, x_(t-1), √d_k): a root or a fraction part that needs no parentheses
_SIMPLE = re.compile(r"[\w.'′ᵀ√∛∜]+(?:[_^](?:[\w.]+|\([^()\s]+\)))*")
# relations and binary operators written as macros: spaced as LaTeX sets them (pylatexenc drops the
# space after a macro, "C ≈6ND"); the ones typed as characters (=, +, <) keep the spaces as typed
_SPACED = {"approx": "≈", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "propto": "∝",
           "in": "∈", "notin": "∉", "times": "×", "pm": "±", "mp": "∓", "sim": "∼", "simeq": "≃", "equiv": "≡",
           "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "iff": "⇔", "mid": "|",
           "subset": "⊂", "subseteq": "⊆", "ll": "≪", "gg": "≫", "div": "÷"}
# sizing and spacing macros: nothing of their own to show
_SILENT = ("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
           "textstyle", "limits", "nolimits")
_SPACES = re.compile(r"[ \t]+")


def find_formula(src: str, pos: int, limit: int | None = None) -> tuple[str, int] | None:
    """The formula whose opening ``$`` is at ``src[pos]``: ``(body, end)``, or None when that
    ``$`` opens none. As in Obsidian and pandoc: ``$$…$$`` is display math; an inline
    formula's signs hug it (``$x$``, not ``$ x $``) and the closing one is not followed by a
    digit, so "costs $5 and $10" stays money. ``limit`` is where the text ends (default: its length)."""
    limit = len(src) if limit is None else limit
    if pos >= limit or src[pos] != "$":
        return None
    if src.startswith("$$", pos):
        end = src.find("$$", pos + 2, limit)
        if end < 0 or not src[pos + 2:end].strip():
            return None
        return src[pos + 2:end], end + 2
    start = pos + 1
    if start >= limit or src[start] in " \t\n$":
        return None
    # the first closing sign after start: looked up in the text's list of them (made once per text),
    # not by trying each later $ in turn, which made "$x$5 $x$5 ..." quadratic (8 s at 20,000 characters)
    closers = _closers(src)
    i = bisect_left(closers, start + 1)
    if i < len(closers) and closers[i] < limit:
        end = closers[i]
        return src[start:end], end + 1
    end = limit - 1  # a sign just before the limit closes even when a digit follows it past the limit
    if end > start and src[end] == "$" and src[end - 1] not in " \t\n\\":
        return src[start:end], end + 1
    return None


_CLOSER = re.compile(r"(?<![ \t\n\\])\$")


@lru_cache(maxsize=16)
def _closers(src: str) -> list[int]:
    """The positions of every $ of ``src`` that can close an inline formula: not after a space or a
    backslash, not before a digit. (Cached: markdown-it calls :func:`find_formula` at each $ of one text.)"""
    return [mt.start() for mt in _CLOSER.finditer(src, 1)
            if not (mt.start() + 1 < len(src) and src[mt.start() + 1].isdigit())]


def replace_math(text: str) -> str:
    """Every formula of a plain (not Markdown) text as Unicode; ``\\$`` stays a dollar sign,
    a formula that can't be converted stays as typed."""
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        if j and text[j - 1] == "\\":
            out.append(text[i:j - 1] + "$")
            i = j + 1
            continue
        found = find_formula(text, j)
        if found is None:
            out.append(text[i:j + 1])
            i = j + 1
            continue
        body, end = found
        shown = to_unicode(body)
        out.append(text[i:j] + (shown if shown is not None else text[j:end]))
        i = end


class _Unknown(Exception):
    """The formula uses a macro pylatexenc doesn't know."""


def to_unicode(latex: str) -> str | None:
    """One formula (without its ``$`` signs) as one line of Unicode, or None when it can't be read."""
    latex = latex.strip()
    if not latex or len(latex) > MAX_FORMULA:
        return None
    return _convert(latex)


@lru_cache(maxsize=4096)
def _convert(latex: str) -> str | None:
    from pylatexenc import latexwalker

    walker_db, l2t = _machinery()
    try:
        nodes, _pos, _len = latexwalker.LatexWalker(latex, latex_context=walker_db,
                                                    tolerant_parsing=False).get_latex_nodes()
        _check_known(nodes, l2t)
        text = l2t.nodelist_to_text(nodes)
    except (latexwalker.LatexWalkerError, _Unknown, IndexError, ValueError, RecursionError):
        return None
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    return text or None


def _check_known(nodes: Any, l2t: Any) -> None:
    from pylatexenc import latexwalker

    db = l2t.latex_context
    for node in nodes or ():
        if node is None:
            continue
        if node.isNodeType(latexwalker.LatexMacroNode):
            if db.get_macro_spec(node.macroname) is None and node.macroname not in _SPACE_MACROS:
                raise _Unknown(node.macroname)
            if node.nodeargd is not None:
                _check_known(node.nodeargd.argnlist, l2t)
        elif node.isNodeType(latexwalker.LatexEnvironmentNode):
            if db.get_environment_spec(node.environmentname) is None:
                raise _Unknown(node.environmentname)
            _check_known(node.nodelist, l2t)
        elif node.isNodeType(latexwalker.LatexGroupNode):
            _check_known(node.nodelist, l2t)
        elif node.isNodeType(latexwalker.LatexSpecialsNode) and node.nodeargd is not None:
            _check_known(node.nodeargd.argnlist, l2t)


_SPACE_MACROS = {",", ";", ":", "!", " ", "quad", "qquad"}


def _arg_text(node: Any, l2t: Any, i: int) -> str:
    args = node.nodeargd.argnlist if node.nodeargd is not None else []
    arg = args[i] if i < len(args) else None
    if arg is None:
        return ""
    return str(l2t.nodelist_to_text([arg])).strip()


def _group(text: str) -> str:
    return text if _SIMPLE.fullmatch(text) else f"({text})"


def _script(mark: str, table: dict[str, str]) -> Any:
    def repl(n: Any, l2tobj: Any) -> str:
        inner = _SPACES.sub(" ", _arg_text(n, l2tobj, 0))
        if not inner:
            raise _Unknown(mark)  # ``x^`` with nothing after it
        if all(c in table for c in inner):
            return "".join(table[c] for c in inner)
        if mark == "^" and inner in ("T", "⊤"):
            return "ᵀ"
        if mark == "^" and inner in ("′", "'", "\\prime"):
            return "′"
        return f"{mark}{inner}" if len(inner) == 1 else f"{mark}({inner})"
    return repl


def _frac(n: Any, l2tobj: Any) -> str:
    num, den = _arg_text(n, l2tobj, 0), _arg_text(n, l2tobj, 1)
    if (num, den) in _FRACTIONS:
        return _FRACTIONS[(num, den)]
    return f"{_group(num)}/{_group(den)}"


def _sqrt(n: Any, l2tobj: Any) -> str:
    # \sqrt[3]{x}: the optional argument comes first
    args = n.nodeargd.argnlist if n.nodeargd is not None else []
    index = _arg_text(n, l2tobj, 0) if len(args) > 1 else ""
    body = _arg_text(n, l2tobj, len(args) - 1) if args else ""
    root = {"": "√", "2": "√", "3": "∛", "4": "∜"}.get(index)
    if root is None:
        root = "".join(_SUP.get(c, c) for c in index) + "√"
    return root + _group(body)


def _function(name: str) -> Any:
    def repl(n: Any) -> str:
        return f" {name}"
    return repl


def _operatorname(n: Any, l2tobj: Any) -> str:
    return " " + _arg_text(n, l2tobj, 0)


@lru_cache(maxsize=1)
def _machinery() -> tuple[Any, Any]:
    """pylatexenc's parser context with ``^`` and ``_`` taking an argument, and its text
    converter with this module's scripts, fractions, roots and function names."""
    from pylatexenc import latex2text, latexwalker, macrospec

    walker_db = latexwalker.get_default_latex_context_db()
    one_arg = macrospec.MacroStandardArgsParser("{")
    walker_db.add_context_category(
        "studyllm-scripts", prepend=True, macros=[macrospec.MacroSpec("operatorname", "{")],
        specials=[macrospec.SpecialsSpec("^", args_parser=one_arg), macrospec.SpecialsSpec("_", args_parser=one_arg)])
    text_db = latex2text.get_default_latex_context_db()
    text_db.add_context_category(
        "studyllm-math", prepend=True,
        macros=[latex2text.MacroTextSpec("frac", simplify_repl=_frac),
                latex2text.MacroTextSpec("dfrac", simplify_repl=_frac),
                latex2text.MacroTextSpec("tfrac", simplify_repl=_frac),
                latex2text.MacroTextSpec("sqrt", simplify_repl=_sqrt),
                latex2text.MacroTextSpec("cdot", simplify_repl="·"),
                latex2text.MacroTextSpec("top", simplify_repl="⊤"),
                latex2text.MacroTextSpec("operatorname", simplify_repl=_operatorname),
                *(latex2text.MacroTextSpec(f, simplify_repl=_function(f)) for f in _FUNCTIONS),
                *(latex2text.MacroTextSpec(m, simplify_repl=f" {c} ") for m, c in _SPACED.items()),
                *(latex2text.MacroTextSpec(m, simplify_repl="") for m in _SILENT)],
        specials=[latex2text.SpecialsTextSpec("^", simplify_repl=_script("^", _SUP)),
                  latex2text.SpecialsTextSpec("_", simplify_repl=_script("_", _SUB))])
    l2t = latex2text.LatexNodes2Text(latex_context=text_db, math_mode="text", strict_latex_spaces="based-on-source")
    return walker_db, l2t
