"""Calculator cards: parse_spec, draw, check, and the documented examples."""

from __future__ import annotations

import importlib
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyllm import calc
from studyllm.calc.cards import CalcSpecError, check, draw, parse_spec

DOC = Path(__file__).resolve().parent.parent / "docs" / "calc-cards.md"
EXAMPLES = re.findall(r"^```calc\n(.*?)^```$", DOC.read_text(), re.S | re.M)

WEIGHTS = """\
question: How many GB does it take to store the weights of a {params} model in {precision}?
vars:
  params: choice(1B, 3B, 7B, 13B, 70B)
  precision: choice(fp32, fp16, bf16, int8)
answer: weights_bytes(params, precision)
unit: GB
tolerance: 2%
"""


def test_docs_have_at_least_ten_examples_covering_topics():
    assert len(EXAMPLES) >= 10
    text = "\n".join(EXAMPLES)
    for fn in ("weights_bytes", "model_state_bytes", "zero_stage", "training_flops", "PF-days",
               "gpu_days", "chinchilla_optimal", "chinchilla_tokens"):
        assert fn in text


@pytest.mark.parametrize("body", EXAMPLES, ids=[f"example{i + 1}" for i in range(len(EXAMPLES))])
def test_documented_examples_parse_and_draw(body):
    spec = parse_spec(body)
    for seed in range(25):
        q = draw(spec, seed)
        assert "{" not in q.prompt
        assert math.isfinite(q.answer) and q.answer > 0
        # the stated answer passes its own check, typed with and without the unit
        assert check(q, f"{q.answer!r}").ok
        assert check(q, f"{q.answer!r} {q.unit}").ok if q.unit not in ("", "x") else True
        assert q.solution.strip()


def test_weights_card_answer_and_solution():
    spec = parse_spec(WEIGHTS)
    seen = set()
    for seed in range(60):
        q = draw(spec, seed)
        expected = calc.weights_bytes(q.values["params"], q.values["precision"]) / 1e9
        assert q.answer == pytest.approx(expected)
        assert q.texts["params"] in q.prompt and q.values["precision"] in q.prompt
        assert "bytes" in q.solution and f"**{calc.format_sci(q.answer, 4)} GB**" in q.solution
        assert q.tab == "memory"
        seen.add((q.values["params"], q.values["precision"]))
    assert len(seen) > 8  # draws vary


def test_draw_is_deterministic_per_seed():
    spec = parse_spec(WEIGHTS.replace("choice(1B, 3B, 7B, 13B, 70B)", "range(1B, 70B)"))
    a, b = draw(spec, 1234), draw(spec, 1234)
    assert (a.prompt, a.values, a.answer, a.solution) == (b.prompt, b.values, b.answer, b.solution)
    assert len({draw(spec, s).values["params"] for s in range(20)}) > 5


def test_solution_for_7b_bf16_shows_the_multiplication():
    spec = parse_spec(WEIGHTS.replace("choice(1B, 3B, 7B, 13B, 70B)", "7B").replace(
        "choice(fp32, fp16, bf16, int8)", "bf16"))
    q = draw(spec, 0)
    assert q.answer == pytest.approx(14.0)
    assert "7e9 params × 2 bytes (bf16) = 1.4e10 bytes = 14 GB" in q.solution
    assert q.prompt == "How many GB does it take to store the weights of a 7B model in bf16?"


@pytest.fixture
def q14():
    spec = parse_spec(WEIGHTS.replace("choice(1B, 3B, 7B, 13B, 70B)", "7B").replace(
        "choice(fp32, fp16, bf16, int8)", "bf16"))
    return draw(spec, 0)


@pytest.mark.parametrize("typed", ["14", "14 GB", "14GB", "14000 MB", "1.4e10 bytes", "13.8", "14.2 GB",
                                   "0.014 TB", "13.04 GiB"])
def test_check_accepts_units(q14, typed):
    result = check(q14, typed)
    assert result.ok, result.message
    assert result.suggested_grade == 4
    assert result.value == pytest.approx(14, rel=0.02)


@pytest.mark.parametrize(
    "typed,grade", [("28", 1), ("7 GB", 1), ("1.4e10", 1), ("15", 2), ("2e10 bytes", 1), ("1.5e10 bytes", 2)]
)
def test_check_rejects_wrong_numbers(q14, typed, grade):
    result = check(q14, typed)
    assert not result.ok
    assert result.value is not None
    assert result.suggested_grade == grade
    assert "14 GB" in result.message


def test_check_names_common_slips(q14):
    assert "GiB" in check(q14, "15.03").message
    assert "factor of 2" in check(q14, "28 GB").message
    assert "1e9" in check(q14, "1.4e10").message


@pytest.mark.parametrize("typed", ["", "fourteen", "14 parsecs", "14 PF-days", "GB"])
def test_check_unreadable(q14, typed):
    result = check(q14, typed)
    assert result.ok is False and result.value is None and result.suggested_grade is None
    assert result.message


def test_check_count_units():
    spec = parse_spec("question: tokens for {params}?\nvars:\n  params: 70B\nanswer: chinchilla_tokens(params)\n"
                      "unit: tokens\ntolerance: 2%")
    q = draw(spec, 3)
    assert q.answer == pytest.approx(1.4e12)
    for typed in ("1.4T", "1.4e12", "1400 billion", "1.4 trillion tokens"):
        assert check(q, typed).ok, typed
    spec_b = parse_spec("question: q\nvars:\n  params: 70B\nanswer: chinchilla_tokens(params)\nunit: B tokens\n"
                        "tolerance: 2%")
    qb = draw(spec_b, 0)
    assert qb.answer == pytest.approx(1400)
    assert check(qb, "1400").ok and check(qb, "1.4T").ok and not check(qb, "1.4").ok


def test_check_flop_units_and_absolute_tolerance():
    spec = parse_spec("question: q\nanswer: training_flops(174.6B, 300B)\nunit: PF-days\ntolerance: 20")
    q = draw(spec, 0)
    assert q.answer == pytest.approx(3637.5)
    assert str(q.tolerance) == "±20"
    assert check(q, "3640").ok
    assert check(q, "3.14e23 FLOPs").ok
    assert not check(q, "3600").ok
    assert q.tab == "scaling"


@pytest.mark.parametrize(
    "body,line,needle",
    [
        ("question: q\nanswer: weight_bytes(7B)\ntolerance: 1%", 2, "unknown function 'weight_bytes'"),
        ("question: q {size}\nanswer: 1\ntolerance: 1%", 1, "unknown variable {size}"),
        ("question: q\nanswer: weights_bytes(size)\ntolerance: 1%", 2, "unknown variable 'size'"),
        ("question: q\nvars:\n  params: range(70B, 1B)\nanswer: params\ntolerance: 1%", 3, "bad range"),
        ("question: q\nvars:\n  params: range(1B)\nanswer: params\ntolerance: 1%", 3, "bad range"),
        ("question: q\nvars:\n  params: range(1B, 2B, -1)\nanswer: params\ntolerance: 1%", 3, "bad range"),
        ("question: q\nvars:\n  params: logrange(0, 2B)\nanswer: params\ntolerance: 1%", 3, "bad range"),
        ("question: q\nvars:\n  p: range(a, 2B)\nanswer: p\ntolerance: 1%", 3, "bad range"),
        ("question: q\nanswer: 1\nunit: GB", 3, "missing tolerance"),
        ("answer: 1\ntolerance: 2%", 2, "missing question"),
        ("question: q\n\ntolerance: 2%", 3, "missing answer"),
        ("question: q\nanswer: 1\nunit: parsecs\ntolerance: 1%", 3, "bad unit"),
        ("question: q\nanswer: 1\ntolerance: lots", 3, "bad tolerance"),
        ("question: q\nanswer: model_state_bytes(7B)\ntolerance: 1%", 2, "not a number"),
        ("question: q\nanswer: model_state_bytes(7B, zero_stage=5).total\ntolerance: 1%", 2, "zero_stage"),
        ("question: q\nanswer: model_state_bytes(7B).color\ntolerance: 1%", 2, "unknown attribute"),
        ("question: q\nanswer: weights_bytes(7B, bf16) +\ntolerance: 1%", 2, "expected"),
        ("question: q\nanswer: __import__('os')\ntolerance: 1%", 2, "unknown function"),
        ("question: q\nanswer: 1\ntolerance: 1%\ncolour: red", 4, "unknown key"),
        ("question: q\nvars:\n  p: poisson(3)\nanswer: p\ntolerance: 1%", 3, "unknown generator"),
        ("question: q\nvars:\n  p: 1B\n  p: 2B\nanswer: p\ntolerance: 1%", 4, "twice"),
        ("question: q\nvars:\n  prec: choice(bf16, fp32)\nanswer: prec * 2\ntolerance: 1%", 4, "arithmetic"),
    ],
)
def test_bad_blocks_report_line_and_hint(body, line, needle):
    with pytest.raises(CalcSpecError) as err:
        parse_spec(body)
    assert needle in err.value.message
    assert err.value.line == line
    assert isinstance(err.value.hint, str)


def test_unknown_function_hint_suggests_close_name():
    with pytest.raises(CalcSpecError) as err:
        parse_spec("question: q\nanswer: weight_bytes(7B)\ntolerance: 1%")
    assert "weights_bytes" in err.value.hint


def test_expression_features():
    spec = parse_spec("question: q\nvars:\n  n: 2\nanswer: (n + 1) ** 2 - -1 * 3 / 3 + sqrt(16) + max(1, n)"
                      "\ntolerance: 1%")
    assert draw(spec, 0).answer == pytest.approx(9 + 1 + 4 + 2)
    spec = parse_spec("question: q\nanswer: preset(\"gpt3-175b\").layers * gpu(A100).dense_tflops\n"
                      "tolerance: 1%")
    assert draw(spec, 0).answer == pytest.approx(96 * 312)


def test_card_text_is_data_not_markup():
    spec = parse_spec("question: [@click=app.quit]Press[/] for {n}\nvars:\n  n: 3\nanswer: n\ntolerance: 1%")
    assert draw(spec, 0).prompt == "[@click=app.quit]Press[/] for 3"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_parse_spec_only_raises_calc_spec_error(body):
    try:
        parse_spec(body)
    except CalcSpecError as err:
        assert err.line >= 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_answer_expressions_never_crash(expression):
    body = f"question: q\nvars:\n  params: 7B\nanswer: {expression}\ntolerance: 1%"
    try:
        parse_spec(body)
    except CalcSpecError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_check_never_crashes(typed):
    q = draw(parse_spec(WEIGHTS), 5)
    result = check(q, typed)
    assert result.ok in (True, False)
    assert (result.value is None) == (result.suggested_grade is None)


GENERATORS = st.one_of(
    st.builds(lambda a, b: f"range({a}, {b})", st.sampled_from(["0", "1", "7B", "1e300", "-5", "2.5", "x", ""]),
              st.sampled_from(["0", "8", "70B", "1e308", "-1", "abc", "1T"])),
    st.builds(lambda a, b, c: f"range({a}, {b}, {c})", st.sampled_from(["0", "1", "1B"]),
              st.sampled_from(["10", "1e300", "70B"]), st.sampled_from(["1", "0", "-2", "1e-300", "7B"])),
    st.builds(lambda a, b: f"logrange({a}, {b})", st.sampled_from(["0", "1e-300", "1e20", "-3"]),
              st.sampled_from(["1e24", "1e308", "5"])),
    st.builds(lambda xs: f"choice({', '.join(xs)})",
              st.lists(st.sampled_from(["1B", "bf16", "A100", "0", "-1", "3", "1e308", "x y", ""]), max_size=4)),
)
ANSWERS = st.sampled_from([
    "weights_bytes(v, bf16)", "model_state_bytes(v, zero_stage=v, num_gpus=v).total", "training_flops(v, v)",
    "gpu_days(v, A100, v)", "chinchilla_optimal(v).params", "chinchilla_loss(v, v)", "v / v", "v ** v",
    "kv_cache_bytes(v, v, v, v, v)", "activation_bytes(v, v, v, v, v, recompute=full)", "sqrt(v)", "log10(v)",
    "kaplan_loss(params=v)", "preset(v).params", "max(v, 1) - min(v, 2)",
])


@settings(max_examples=200, deadline=None)
@given(GENERATORS, ANSWERS, st.integers(0, 2**32))
def test_structured_specs_only_raise_calc_spec_error(generator, answer, seed):
    body = f"question: v is {{v}}\nvars:\n  v: {generator}\nanswer: {answer}\nunit: x\ntolerance: 1%"
    try:
        spec = parse_spec(body)
    except CalcSpecError as err:
        assert err.line in (1, 2, 3, 4)
        return
    try:
        q = draw(spec, seed)
    except CalcSpecError:
        return  # a draw outside the trial seeds may still hit a domain error; it is reported, not raised raw
    assert math.isfinite(q.answer)


def test_deck_parser_reports_calc_errors_at_file_lines():
    decks = importlib.import_module("studyllm.decks.parser")
    text = "# Deck\n\n## Memory\n\n```calc\nquestion: q {params}\nvars:\n  params: range(70B, 1B)\n" \
           "answer: weights_bytes(params)\ntolerance: 2%\n```\n\n```calc\n" + EXAMPLES[0] + "```\n"
    deck = decks.parse_deck(text, "memory.md")
    assert [c.kind for c in deck.cards] == ["calc"]
    assert len(deck.skipped) == 1
    assert deck.skipped[0].line == 8 and "bad range" in deck.skipped[0].message
    q = draw(parse_spec(deck.cards[0].extra["body"]), 1)
    assert q.answer > 0


def test_domain_errors_at_range_ends_are_caught_at_parse_time():
    body = ("question: q\nvars:\n  params: 7B\n  gpus: range(0, 8)\n"
            "answer: model_state_bytes(params, zero_stage=3, num_gpus=gpus).total\nunit: GB\ntolerance: 2%")
    with pytest.raises(CalcSpecError) as err:
        parse_spec(body)
    assert err.value.line == 5 and "num_gpus" in err.value.message
    spec = parse_spec(body.replace("range(0, 8)", "range(1, 8)"))
    assert all(draw(spec, s).values["gpus"] in range(1, 9) for s in range(30))


def test_slip_hints_belong_to_the_answers_dimension():
    """Issue 18: a "GiB vs GB" hint fired on a FLOPs answer. Each hint is for the answer's own
    dimension: memory slips on memory answers, compute slips on compute answers."""
    flops = draw(parse_spec("question: q\nanswer: training_flops(7B, 1T)\nunit: PF-days\ntolerance: 2%"), 0)
    gib = 2**30 / 1e9
    for typed in (flops.answer * gib, flops.answer / gib, flops.answer * 1e9, flops.answer * 2):
        message = check(flops, format(typed, ".6g")).message
        assert "GiB" not in message and "bytes" not in message, message
    assert "8.64e19" in check(flops, format(flops.answer * 8.64e19, ".6g")).message
    assert "FLOPs per parameter" in check(flops, format(flops.answer * 2, ".6g")).message

    count = draw(parse_spec("question: q\nanswer: chinchilla_tokens(70B)\nunit: B tokens\ntolerance: 2%"), 0)
    for typed in (count.answer * gib, count.answer * 2, count.answer * 1e9):
        message = check(count, format(typed, ".6g")).message
        assert "GiB" not in message and "bytes per parameter" not in message, message

    memory = draw(parse_spec("question: q\nanswer: weights_bytes(7B, bf16)\nunit: GB\ntolerance: 2%"), 0)
    assert "GiB" in check(memory, format(memory.answer * gib, ".6g")).message
    assert "8.64e19" not in check(memory, format(memory.answer * 8.64e19, ".6g")).message


def test_solution_shows_inputs_with_their_units():
    spec = parse_spec("question: q {budget} {compute}\nvars:\n  budget: choice(40 GB)\n"
                      "  compute: choice(268 PF-days)\n  flops: logrange(1e21, 1e24)\n"
                      "answer: model_state_bytes(7B).total / budget + gpu_days(compute, A100) * 0 + flops * 0\n"
                      "unit: GPUs\ntolerance: 2%")
    q = draw(spec, 0)
    assert "budget = 40 GB" in q.solution and "compute = 268 PF-days" in q.solution
    assert "40B" not in q.solution and not re.search(r"\d(e\d+)?Q\b", q.solution + q.prompt), q.solution
    assert calc.format_count(3.14e23) == "3.14e23"


def test_question_continuation_lines_fold_into_one_line_and_a_literal_block_keeps_its_breaks():
    folded = parse_spec(
        "question: How many GB does training\n  a {params}-parameter model need?\n"
        "vars:\n  params: choice(1B, 7B)\nanswer: weights_bytes(params, fp32)\nunit: GB\ntolerance: 2%\n"
    )
    assert folded.question == "How many GB does training a {params}-parameter model need?"
    literal = parse_spec(
        "question: |\n  line one\n  line two\n"
        "vars:\n  params: choice(1B, 7B)\nanswer: weights_bytes(params, fp32)\nunit: GB\ntolerance: 2%\n"
    )
    assert literal.question == "line one\nline two"
