"""Engine behaviour beyond the reference cases, and Hypothesis invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyllm import calc

PARAMS = st.floats(min_value=1e6, max_value=1e13, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    "text,value",
    [
        ("7B", 7e9), ("7e9", 7e9), ("175 billion", 175e9), ("1.4T", 1.4e12), ("70 M", 70e6),
        ("14 GB", 14e9), ("1.4e12", 1.4e12), ("3.2k", 3200), ("1,000", 1000), ("1 GiB", 2**30),
        ("14000 MB", 14e9), ("3640 PF-days", 3640 * 8.64e19), ("5.76e23 FLOPs", 5.76e23),
        ("40%", 0.4), ("  2048 ", 2048), ("7B params", 7e9), ("1.4 trillion tokens", 1.4e12),
        ("125m", 125e6), (".5", 0.5), ("1E-3", 1e-3), (64, 64.0), ("175,000,000", 175e6), ("~7B", 7e9),
        ("\u2248 14 GB", 14e9), ("1_000", 1000),
    ],
)
def test_parse_quantity_accepts(text, value):
    assert math.isclose(calc.parse_quantity(text), value, rel_tol=1e-12)


@pytest.mark.parametrize(
    "text", ["14,5", "1,0000", "", "abc", "7X", "1e999", "--5", "seven", "1..2", "B7", "nan", "inf", "-3B"]
)
def test_parse_quantity_rejects_naming_field(text):
    with pytest.raises(ValueError) as err:
        calc.parse_quantity(text, field="tokens")
    assert str(err.value).startswith("tokens:")


def test_parse_quantity_never_evaluates_code():
    with pytest.raises(ValueError):
        calc.parse_quantity("__import__('os').system('true')")
    with pytest.raises(ValueError):
        calc.parse_quantity("2*3")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_parse_quantity_only_raises_value_error(text):
    try:
        value = calc.parse_quantity(text, field="params")
    except ValueError as err:
        assert str(err).startswith("params:")
    else:
        assert math.isfinite(value) and value >= 0


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e15, allow_nan=False),
       st.sampled_from(["", "k", "M", "B", "T", " GB", " billion"]))
def test_parse_quantity_round_trips_numbers(x, suffix):
    mult = {"": 1, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12, " GB": 1e9, " billion": 1e9}[suffix]
    assert math.isclose(calc.parse_quantity(f"{x!r}{suffix}"), x * mult, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(PARAMS, PARAMS, st.sampled_from(["fp32", "fp16", "bf16", "int8", "int4"]),
       st.booleans(), st.sampled_from(["adam", "sgd", "adam8bit"]), st.integers(0, 3),
       st.integers(1, 1024))
def test_memory_monotone_in_params(p1, p2, precision, mixed, opt, stage, gpus):
    lo, hi = sorted((p1, p2))
    assert calc.weights_bytes(lo, precision) <= calc.weights_bytes(hi, precision)
    assert calc.course_training_bytes(lo, precision) <= calc.course_training_bytes(hi, precision)
    a = calc.model_state_bytes(lo, mixed_precision=mixed, optimizer=opt, zero_stage=stage, num_gpus=gpus)
    b = calc.model_state_bytes(hi, mixed_precision=mixed, optimizer=opt, zero_stage=stage, num_gpus=gpus)
    assert a.total <= b.total
    assert (a.weights, a.gradients, a.optimizer_states) <= (b.weights, b.gradients, b.optimizer_states) or (
        a.weights <= b.weights and a.gradients <= b.gradients and a.optimizer_states <= b.optimizer_states)


@settings(max_examples=200, deadline=None)
@given(PARAMS, st.booleans(), st.sampled_from(["adam", "adamw", "sgd", "adam8bit"]), st.integers(1, 4096))
def test_zero_stages_never_increase_memory(params, mixed, opt, gpus):
    totals = [calc.model_state_bytes(params, mixed_precision=mixed, optimizer=opt, zero_stage=s,
                                     num_gpus=gpus).total for s in range(4)]
    assert totals[3] <= totals[2] <= totals[1] <= totals[0]
    if gpus > 1:
        assert totals[3] < totals[0]
    # stage 3 divides everything evenly
    assert math.isclose(totals[3] * gpus, totals[0], rel_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e15, max_value=1e30), st.floats(min_value=1, max_value=200))
def test_chinchilla_optimal_inverts_training_flops(compute, ratio):
    split = calc.chinchilla_optimal(compute, tokens_per_param=ratio)
    assert math.isclose(calc.training_flops(split.params, split.tokens), compute, rel_tol=1e-9)
    assert math.isclose(split.tokens / split.params, ratio, rel_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(PARAMS)
def test_training_flops_then_chinchilla_optimal_gives_back_params(params):
    tokens = 20 * params
    split = calc.chinchilla_optimal(calc.training_flops(params, tokens))
    assert math.isclose(split.params, params, rel_tol=1e-9)
    assert math.isclose(split.tokens, tokens, rel_tol=1e-9)


def test_chinchilla_70b_split_from_gopher_budget():
    split = calc.chinchilla_optimal(calc.GOPHER_FLOPS)
    assert 65e9 < split.params < 72e9
    assert 1.3e12 < split.tokens < 1.45e12
    # Approach 3 prefers a smaller model than the 20x rule for the same budget.
    a3 = calc.chinchilla_approach3_optimal(calc.GOPHER_FLOPS)
    assert 30e9 < a3.params < 50e9


def test_chinchilla_loss_prefers_chinchilla_over_gopher_at_same_budget():
    assert calc.chinchilla_loss(70e9, 1.4e12) < calc.chinchilla_loss(280e9, 300e9)


def test_isoflop_curve_has_minimum_near_approach3_optimum():
    c = 5.76e23
    sizes = [10 ** (9 + i / 20) for i in range(60)]
    curve = calc.isoflop_curve(c, sizes)
    best = min(curve, key=lambda row: row[2])
    opt = calc.chinchilla_approach3_optimal(c)
    assert abs(math.log10(best[0]) - math.log10(opt.params)) < 0.06
    for n, d, _ in curve:
        assert math.isclose(6 * n * d, c, rel_tol=1e-9)


def test_kaplan_joint_law_uses_table_2_constants():
    """Kaplan et al. 2020 Eq. 1.5 with Table 2's joint fit (aN 0.076, aD 0.103, Nc 6.4e13,
    Dc 1.8e13), worked by hand for N = 1e9, D = 1e11:
    (6.4e13 / 1e9)^(0.076 / 0.103) = 64000^0.73786 = e^(11.0666 x 0.73786) = e^8.1657 = 3518.6;
    1.8e13 / 1e11 = 180; (3518.6 + 180)^0.103 = e^(8.2156 x 0.103) = e^0.84621 = 2.3308."""
    assert calc.kaplan_loss(params=1e9, tokens=1e11) == pytest.approx(2.3308, abs=5e-4)
    # the single-variable constants (8.8e13, 5.4e13, 0.095) mixed in gave a different value
    mixed = ((8.8e13 / 1e9) ** (0.076 / 0.095) + 5.4e13 / 1e11) ** 0.095
    assert abs(calc.kaplan_loss(params=1e9, tokens=1e11) - mixed) > 0.01
    # with unlimited data the joint law tends to (Nc/N)^0.076 with the joint Nc
    assert calc.kaplan_loss(params=1e9, tokens=1e30) == pytest.approx((6.4e13 / 1e9) ** 0.076, rel=1e-6)


def test_kaplan_forms():
    assert math.isclose(calc.kaplan_loss(params=8.8e13), 1.0)
    assert math.isclose(calc.kaplan_loss(tokens=5.4e13), 1.0)
    assert math.isclose(calc.kaplan_loss(compute_pf_days=3.1e8), 1.0)
    both = calc.kaplan_loss(params=1e9, tokens=1e11)
    assert both > calc.kaplan_loss(params=1e9, tokens=1e13), "more data lowers the joint-law loss"
    with pytest.raises(ValueError):
        calc.kaplan_loss()
    with pytest.raises(ValueError):
        calc.kaplan_loss(params=1e9, compute_pf_days=10)


def test_activation_bytes_korthikanti_variants():
    # GPT-3 175B shape, s=2048, b=1, h=12288, a=96, one layer.
    s, b, h, a = 2048, 1, 12288, 96
    none = calc.activation_bytes(s, b, h, a, 1)
    assert math.isclose(none, s * b * h * (34 + 5 * a * s / h))
    sel = calc.activation_bytes(s, b, h, a, 1, recompute="selective")
    assert math.isclose(sel, 34 * s * b * h)
    full = calc.activation_bytes(s, b, h, a, 1, recompute="full")
    assert math.isclose(full, 2 * s * b * h)
    tp = calc.activation_bytes(s, b, h, a, 1, tensor_parallel=8)
    assert math.isclose(tp, s * b * h * (10 + 24 / 8 + 5 * a * s / (h * 8)))
    tpsp = calc.activation_bytes(s, b, h, a, 1, tensor_parallel=8, sequence_parallel=True)
    assert math.isclose(tpsp, none / 8)
    assert tpsp < tp < none
    assert calc.activation_bytes(s, b, h, a, 96) == pytest.approx(96 * none)
    with pytest.raises(ValueError, match="recompute"):
        calc.activation_bytes(s, b, h, a, 1, recompute="some")


def test_model_state_validation():
    with pytest.raises(ValueError, match="zero_stage"):
        calc.model_state_bytes(1e9, zero_stage=4)
    with pytest.raises(ValueError, match="num_gpus"):
        calc.model_state_bytes(1e9, num_gpus=0)
    with pytest.raises(ValueError, match="optimizer"):
        calc.model_state_bytes(1e9, optimizer="lion")
    with pytest.raises(ValueError, match="precision"):
        calc.weights_bytes(1e9, "fp8e4")


def test_gpu_days_and_mfu():
    one = calc.gpu_days(calc.PF_DAY_FLOPS, "A100", 1.0)
    assert math.isclose(calc.gpu_days(calc.PF_DAY_FLOPS, "A100", 0.5), 2 * one)
    assert math.isclose(calc.gpus_per_pf_day("A100", sparse=True), 1000 / 624)
    assert math.isclose(calc.gpus_per_pf_day("H100"), 1000 / 989)
    with pytest.raises(ValueError, match="mfu"):
        calc.gpu_days(1e20, "A100", 1.5)
    with pytest.raises(ValueError, match="gpu"):
        calc.gpu_days(1e20, "TPU")


def test_course_vs_exact_data():
    mem = calc.compare_training_memory(1e9)
    assert mem.course_value == 80e9 and mem.exact_value == 16e9
    assert dict(mem.extra)["course slide: 24 bytes/param"] == 24e9
    assert "16 bytes/param" in mem.why
    a100 = calc.compare_gpus_per_pf_day("A100")
    assert a100.course_value == 2 and math.isclose(a100.exact_value, 3.205, rel_tol=1e-3)
    assert "sparsity" in a100.why
    assert len(calc.course_vs_exact()) == 3


def test_presets_have_sources_for_every_figure():
    required = {"gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl", "gpt3-2.7b", "gpt3-6.7b",
                "gpt3-13b", "gpt3-175b", "bloom-176b", "llama-7b", "llama-13b", "llama-33b",
                "llama-65b", "chinchilla-70b", "gopher-280b", "bloomberggpt-50b", "t5-small",
                "t5-base", "t5-large", "t5-3b", "t5-11b", "bert-base", "bert-large"}
    assert required <= set(calc.PRESETS)
    for p in calc.PRESETS.values():
        assert p.params > 0 and p.tokens > 0
        for name in ("params", "tokens", *p.published):
            assert p.sources.get(name), f"{p.name}.{name} has no source"
        for name in ("layers", "hidden", "heads", "seq_len"):
            if getattr(p, name) is not None:
                assert p.sources.get(name), f"{p.name}.{name} has no source"
    assert calc.get_preset("GPT3 175B".replace(" ", "-")).params == 174.6e9


def test_llama_gpu_hours_consistent_with_6nd():
    """LLaMA's published GPU-hours imply a plausible MFU (between 30% and 70%) on A100s."""
    for name in ("llama-7b", "llama-13b", "llama-33b", "llama-65b"):
        p = calc.PRESETS[name]
        ideal_days = calc.gpu_days(calc.training_flops(p.params, p.tokens), "A100")
        mfu = ideal_days * 24 / p.published["gpu_hours"]
        assert 0.3 < mfu < 0.7, (name, mfu)


def test_formatting():
    assert calc.format_count(7e9) == "7B"
    assert calc.format_count(1.4e12) == "1.4T"
    assert calc.format_count(2048) == "2,048"
    assert calc.format_bytes(14e9) == "14 GB"
    assert calc.format_bytes(2**30, "GiB") == "1 GiB"
    assert calc.format_bytes(1.5e12, "auto") == "1.5 TB"
    assert calc.format_flops(3.14e23) == "3.14e23 FLOPs"
    assert calc.format_sci(1.4e10) == "1.4e10"


# Hoffmann et al. 2022 (Chinchilla), Table 1: model, parameters, training tokens.
CHINCHILLA_TABLE_1 = [
    ("LaMDA", 137e9, 168e9), ("GPT-3", 175e9, 300e9), ("Jurassic", 178e9, 300e9),
    ("Gopher", 280e9, 300e9), ("MT-NLG 530B", 530e9, 270e9), ("Chinchilla", 70e9, 1.4e12),
]


@pytest.mark.parametrize("row", CHINCHILLA_TABLE_1, ids=lambda r: r[0])
def test_every_chinchilla_table_1_model_is_a_preset_by_its_paper_name(row):
    name, params, tokens = row
    preset = calc.get_preset(name)
    assert preset.params == pytest.approx(params, rel=0.005)
    assert preset.tokens == pytest.approx(tokens, rel=0.005)
    for field in ("params", "tokens"):
        source = preset.sources.get(field, "")
        assert "arXiv" in source or "paper" in source, (name, field, source)
        if preset.family in ("LaMDA", "Jurassic-1", "MT-NLG"):
            assert "Table 1" in source, (name, field, source)


def test_preset_aliases_and_labels():
    assert calc.get_preset("GPT-3").name == "gpt3-175b"
    assert calc.get_preset("GPT-3 175B").name == "gpt3-175b"
    assert calc.get_preset("LLaMA-7B").name == "llama-7b"
    assert calc.get_preset("MT-NLG").name == "mt-nlg-530b"
    assert calc.resolve_preset_name("no such model") is None
    with pytest.raises(ValueError, match="GPT-3"):
        calc.get_preset("gpt-5")
    for alias, target in calc.ALIASES.items():
        assert target in calc.PRESETS, alias
    for preset in calc.PRESETS.values():
        assert calc.get_preset(preset.label) is preset, preset.label
        assert preset.sources.get("params") and preset.sources.get("tokens"), preset.name
