"""Deck 08 audit (docs/deck-audit-2026-12.md): every shipped calc card's answer, recomputed from
first principles with figures typed from the papers, not read from ``studyllm.calc``.

The fact check in test_shipped_decks.py compares the deck text with the engine; this file checks
the engine's answers for each card against an independent oracle, over many draws, so a wrong
preset or constant is caught even when the deck and the engine agree with each other.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from studyllm.calc import cards as calc_cards
from studyllm.decks import parser as deck_parser

DECK = Path(__file__).resolve().parents[1] / "decks" / "08-calculators.md"

BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}
PF_DAY = 1e15 * 86_400                                   # Kaplan et al. 2020, Sec. 2.1
PEAK = {"V100": 125e12, "A100": 312e12, "H100": 989e12}  # dense 16-bit tensor peaks (datasheets)
# (parameters, training tokens, training FLOPs per parameter per token), from GPT-3 Table D.1,
# LLaMA Table 2, Chinchilla Tables 1 and 4, the BLOOM paper and the BloombergGPT paper.
MODELS = {
    "gpt3-small": (125e6, 300e9, 6), "gpt3-medium": (356e6, 300e9, 6), "gpt3-large": (760e6, 300e9, 6),
    "gpt3-xl": (1.32e9, 300e9, 6), "gpt3-2.7b": (2.65e9, 300e9, 6), "gpt3-6.7b": (6.66e9, 300e9, 6),
    "gpt3-13b": (12.85e9, 300e9, 6), "gpt3-175b": (174.6e9, 300e9, 6),
    "t5-base": (220e6, 1e12, 3), "t5-large": (770e6, 1e12, 3), "t5-3b": (3e9, 1e12, 3),
    "t5-11b": (11e9, 1e12, 3),
    "llama-7b": (6.7e9, 1.0e12, 6), "llama-13b": (13.0e9, 1.0e12, 6), "llama-33b": (32.5e9, 1.4e12, 6),
    "llama-65b": (65.2e9, 1.4e12, 6),
    "chinchilla-70b": (70e9, 1.4e12, 6), "gopher-280b": (280e9, 300e9, 6), "lamda-137b": (137e9, 168e9, 6),
    "jurassic-1-178b": (178e9, 300e9, 6), "mt-nlg-530b": (530e9, 270e9, 6),
    "bloom-176b": (176.2e9, 366e9, 6), "bloomberggpt-50b": (50.6e9, 569e9, 6),
}


def _states(psi: float, stage: int = 0, gpus: int = 1) -> float:
    """ZeRO Sec. 5, mixed-precision Adam (K = 12): bytes of model state per GPU."""
    return {0: 16 * psi, 1: 4 * psi + 12 * psi / gpus, 2: 2 * psi + 14 * psi / gpus, 3: 16 * psi / gpus}[stage]


def _fraction(v) -> float:
    return float(v[:-1]) / 100 if isinstance(v, str) and v.endswith("%") else float(v)


# the card's answer expression -> the same quantity from first principles, in the card's unit
ORACLES = {
    "weights_bytes(params, precision)": lambda v: v["params"] * BYTES[v["precision"]] / 1e9,
    "weights_bytes(preset(model).params, precision)": lambda v: MODELS[v["model"]][0] * BYTES[v["precision"]] / 1e9,
    "course_training_bytes(params, fp32)": lambda v: v["params"] * 4 * 20 / 1e9,
    "course_training_breakdown(params).total": lambda v: v["params"] * (4 + 8 + 4 + 8) / 1e9,
    "model_state_bytes(params).total": lambda v: _states(v["params"]) / 1e9,
    "model_state_bytes(params, zero_stage=zero_stage, num_gpus=gpus).total":
        lambda v: _states(v["params"], v["zero_stage"], v["gpus"]) / 1e9,
    "model_state_bytes(1B).total / model_state_bytes(1B, zero_stage=zero_stage, num_gpus=gpus).total":
        lambda v: _states(1e9) / _states(1e9, v["zero_stage"], v["gpus"]),
    "model_state_bytes(params).total / budget": lambda v: _states(v["params"]) / v["budget"],
    "training_flops(params, tokens)": lambda v: 6 * v["params"] * v["tokens"] / PF_DAY,
    "training_flops(preset(model).params, preset(model).tokens, preset(model).flops_per_param_token)":
        lambda v: MODELS[v["model"]][2] * MODELS[v["model"]][0] * MODELS[v["model"]][1] / PF_DAY,
    "gpu_days(compute, gpu, mfu)": lambda v: v["compute"] / (PEAK[v["gpu"]] * _fraction(v["mfu"]) * 86_400),
    "training_days(training_flops(preset(model).params, preset(model).tokens), gpus, A100, mfu)":
        lambda v: 6 * MODELS[v["model"]][0] * MODELS[v["model"]][1]
        / (v["gpus"] * PEAK["A100"] * _fraction(v["mfu"]) * 86_400),
    "gpus_per_pf_day(gpu, mfu)": lambda v: 1e15 / (PEAK[v["gpu"]] * _fraction(v["mfu"])),
    "chinchilla_tokens(params)": lambda v: 20 * v["params"] / 1e9,
    "chinchilla_optimal(compute).params": lambda v: math.sqrt(v["compute"] / 120) / 1e9,
    "chinchilla_optimal(compute).tokens": lambda v: 20 * math.sqrt(v["compute"] / 120) / 1e9,
    "chinchilla_tokens(preset(model).params) / preset(model).tokens":
        lambda v: 20 * MODELS[v["model"]][0] / MODELS[v["model"]][1],
}


def _calc_cards():
    return [c for c in deck_parser.parse_file(DECK).cards if c.kind == "calc"]


@pytest.mark.parametrize("card", _calc_cards(), ids=lambda c: f"08:{c.line}")
def test_calc_card_answer_matches_first_principles(card):
    spec = calc_cards.parse_spec(card.extra["body"])
    oracle = ORACLES.get(" ".join(spec.answer.split()))
    assert oracle, f"08:{card.line}: no first-principles oracle for {spec.answer!r}; add one above"
    for seed in range(300):
        q = calc_cards.draw(spec, seed)
        want = oracle(q.values)
        assert math.isclose(q.answer, want, rel_tol=1e-3), (card.line, seed, q.prompt, q.answer, want)


def test_every_calc_card_has_an_oracle():
    assert len(_calc_cards()) >= 17
