"""Math in cards as readable Unicode (issue #19 item 16): the pure converter and the $ rules."""

from __future__ import annotations

import pytest

from studyllm.render.math import MAX_FORMULA, find_formula, replace_math, to_unicode

# The course's formulas (decks/01, 04, 05, 08 write them in plain text) as a deck author
# would type them in LaTeX, and what the card should show.
COURSE = [
    (r"\mathrm{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right) V", "softmax(QKᵀ/√d_k) V"),
    (r"\sqrt{d_k}", "√d_k"),
    (r"C \approx 6ND", "C ≈ 6ND"),
    (r"C \approx 120 N^2", "C ≈ 120 N²"),
    (r"N = \sqrt{C / 120}", "N = √(C / 120)"),
    (r"N_{opt} \propto C^{0.73}", "N_(opt) ∝ C^(0.73)"),
    (r"L(N) = (N_c / N)^{0.076}", "L(N) = (N_c / N)^(0.076)"),
    (r"N_c \approx 8.8 \times 10^{13}", "N_c ≈ 8.8 × 10¹³"),
    (r"L(N, D) = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}", "L(N, D) = E + A/N^α + B/D^β"),
    (r"1\,\text{PF-day} = 10^{15} \times 86400 = 8.64 \times 10^{19}\ \text{FLOPs}",
     "1 PF-day = 10¹⁵ × 86400 = 8.64 × 10¹⁹ FLOPs"),
    (r"2^8 = 256", "2⁸ = 256"),
    (r"\alpha^2 + \beta^2 \leq \gamma", "α² + β² ≤ γ"),
    (r"\sum_{i=1}^{n} x_i", "∑_(i=1)ⁿ x_i"),
    (r"p_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}", "p_i = (e^(z_i / T))/(∑_j e^(z_j / T))"),
    (r"\frac{1}{2}", "½"),
    (r"x \in \mathbb{R}^{d}", "x ∈ ℝ^d"),
    (r"\hat{y} \neq y", "ŷ ≠ y"),
    (r"h_t = \tanh(W h_{t-1} + U x_t)", "h_t = tanh(W h_(t-1) + U x_t)"),
    (r"\operatorname{PPL} = \exp\left(-\frac{1}{N}\sum_{i} \log p(x_i)\right)", "PPL = exp(-1/N∑_i log p(x_i))"),
    (r"\sqrt[3]{x}", "∛x"),
    (r"x_1 + x^{n+1}", "x₁ + xⁿ⁺¹"),
]


@pytest.mark.parametrize(("latex", "shown"), COURSE)
def test_course_formulas_read_as_unicode(latex, shown):
    assert to_unicode(latex) == shown


@pytest.mark.parametrize("latex", [r"\frac{a}{", "a^", r"\notamacro{x}", r"\begin{weird}x\end{weird}", "", "  ",
                                   "x" * (MAX_FORMULA + 1), "}"])
def test_what_cannot_be_converted_is_none(latex):
    assert to_unicode(latex) is None


def test_find_formula_follows_the_dollar_rules():
    assert find_formula("$x^2$ rest", 0) == ("x^2", 5)
    assert find_formula("$$a + b$$", 0) == ("a + b", 9)
    assert find_formula("$ x $", 0) is None  # the signs must hug the formula
    assert find_formula("costs $5 and $10", 6) is None  # money: the closing $ is followed by a digit
    assert find_formula("$$ $$", 0) is None
    assert find_formula("$x", 0) is None


def test_replace_math_in_plain_text():
    assert replace_math(r"Adam: $\beta_1 = 0.9$, $5 a month") == "Adam: β₁ = 0.9, $5 a month"
    assert replace_math(r"a \$x$ b") == "a $x$ b"
    assert replace_math(r"bad $\frac{a}{$ stays") == r"bad $\frac{a}{$ stays"
    assert replace_math("no math") == "no math"


# -- the $ scan is linear (session 28) ------------------------------------------------------------------------


def _find_formula_by_trying_each_sign(src: str, pos: int, limit: int | None = None):
    """The rule as first written (each later $ tried in turn): the reference for the indexed scan."""
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
    end = start
    while True:
        end = src.find("$", end + 1, limit)
        if end < 0:
            return None
        if src[end - 1] not in " \t\n\\" and not (end + 1 < limit and src[end + 1].isdigit()):
            return src[start:end], end + 1


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(src=st.text(alphabet="$x 5\\\n²a", max_size=40), data=st.data())
def test_the_indexed_scan_finds_the_formula_the_rule_names(src, data):
    """Every opening $ and every limit (markdown-it's posMax): the same formula as trying each sign."""
    limit = data.draw(st.integers(0, len(src)))
    for pos in range(len(src) + 1):
        assert find_formula(src, pos, limit) == _find_formula_by_trying_each_sign(src, pos, limit), (src, pos, limit)

