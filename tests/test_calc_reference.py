"""Every reference case in calc_cases.json, computed through the engine, within its rel_tol."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import shared_file

from studyllm import calc

LOCAL = Path(__file__).parent / "data" / "calc_cases.json"
CASES = json.loads((shared_file("reference", "calc_cases.json") or LOCAL).read_text())["cases"]

PRECISION_BY_BYTES = {4: "fp32", 2: "bf16", 1: "int8", 0.5: "int4"}


def course_weights(inp, exp):
    b = calc.weights_bytes(inp["params"], PRECISION_BY_BYTES[inp["bytes_per_param"]])
    return {"bytes": b, "GB": b / calc.GB, "GiB": b / calc.GiB}


def course_breakdown(inp, exp):
    br = calc.course_training_breakdown(inp["params"])
    p = inp["params"]
    return {
        "weights_bytes_per_param": br.weights / p,
        "adam_states_bytes_per_param": br.adam_states / p,
        "gradients_bytes_per_param": br.gradients / p,
        "activations_temp_bytes_per_param": br.activations_temp / p,
        "total_bytes_per_param": br.total_bytes_per_param,
        "total_GB": br.total / calc.GB,
    }


def course_20x(inp, exp):
    b = calc.course_training_bytes(inp["params"], "fp32")
    assert calc.weights_bytes(inp["params"], "fp32") / calc.GB == inp["weights_GB"]
    return {"training_GB": b / calc.GB}


def course_by_precision(inp, exp):
    p = inp["params"]
    return {f"{k}_GB": calc.course_training_bytes(p, k) / calc.GB for k in ("fp32", "fp16", "int8")}


def course_large(inp, exp):
    return {f"{round(p / 1e9)}B_GB": calc.course_training_bytes(p, "fp32") / calc.GB
            for p in inp["models_params"]}


def exact_mixed(inp, exp):
    ms = calc.model_state_bytes(inp["params"], mixed_precision=True, optimizer="adam")
    assert ms.optimizer_bytes_per_param == inp["K"]
    return {"bytes_per_param": ms.bytes_per_param, "GB": ms.total / calc.GB}


def exact_fp32(inp, exp):
    ms = calc.model_state_bytes(inp["params"], mixed_precision=False, optimizer="adam")
    return {"bytes_per_param": ms.bytes_per_param, "GB": ms.total / calc.GB}


def hf_anatomy(inp, exp):
    mixed = calc.hf_anatomy_bytes_per_param("adamw", mixed_precision=True)
    fp32 = calc.hf_anatomy_bytes_per_param("adamw", mixed_precision=False)
    infer = calc.hf_anatomy_bytes_per_param("adamw", mixed_precision=True, training=False)
    return {
        "mixed_precision_adamw_bytes_per_param": mixed.total,
        "mixed_precision_adamw_GB_1B": mixed.total * inp["params"] / calc.GB,
        "fp32_adamw_bytes_per_param": fp32.total,
        "mixed_precision_inference_bytes_per_param": infer.total,
        "adamw_8bit_state_bytes": calc.hf_anatomy_bytes_per_param("adam8bit").optimizer_states,
        "sgd_momentum_state_bytes": calc.hf_anatomy_bytes_per_param("sgd").optimizer_states,
    }


def zero_baseline(inp, exp):
    ms = calc.model_state_bytes(1.0, mixed_precision=True, optimizer="adam")
    assert ms.optimizer_bytes_per_param == inp["K"]
    return {"bytes_per_param": ms.total}


def zero_stages(inp, exp):
    psi, nd = inp["psi"], inp["Nd"]
    names = {0: "baseline_GB", 1: "P_os_GB", 2: "P_os_g_GB", 3: "P_os_g_p_GB"}
    return {names[s]: calc.model_state_bytes(psi, zero_stage=s, num_gpus=nd).total / calc.GB
            for s in range(4)}


def kv_cache(inp, exp):
    b = calc.kv_cache_bytes(inp["batch"], inp["seq_len"], inp["n_layers"], inp["n_kv_heads"],
                            inp["head_dim"], inp["bytes_per_element"])
    return {"bytes": b, "GB": b / calc.GB, "GiB": b / calc.GiB}


def chinchilla_table3(inp, exp):
    row = calc.chinchilla_table3(inp["params"])
    # The table's FLOPs agree with 6 N D, and the 20x rule lands on its token count.
    assert math.isclose(calc.training_flops(row["params"], row["tokens"]), row["flops"], rel_tol=exp_tol(exp))
    split = calc.chinchilla_optimal(row["flops"])
    assert math.isclose(split.tokens, row["tokens"], rel_tol=exp_tol(exp))
    return {
        "flops": row["flops"],
        "tokens": row["tokens"],
        "flops_gopher_units": row["flops"] / calc.GOPHER_FLOPS,
        "tokens_per_param": row["tokens_per_param"],
    }


def exp_tol(exp):
    return exp.get("_rel_tol", 0.025)


def chinchilla_20x(inp, exp):
    return {"tokens": calc.chinchilla_tokens(inp["params"], inp["tokens_per_param"])}


def chinchilla_constants(inp, exp):
    assert (calc.CHINCHILLA_E, calc.CHINCHILLA_A, calc.CHINCHILLA_B, calc.CHINCHILLA_ALPHA,
            calc.CHINCHILLA_BETA) == (inp["E"], inp["A"], inp["B"], inp["alpha"], inp["beta"])
    ex = calc.chinchilla_approach3_exponents()
    return {"G": ex.G, "a": ex.a, "b": ex.b}


def kaplan_n(inp, exp):
    return {"loss_nats": calc.kaplan_loss(params=inp["N"])}


def pf_day(inp, exp):
    assert inp["flops_per_s"] * inp["seconds"] == calc.PF_DAY_FLOPS
    return {"flops": calc.PF_DAY_FLOPS}


def gpt3_row(inp, exp):
    c = calc.training_flops(inp["params"], inp["tokens"], inp["flops_per_param_per_token"])
    return {"total_flops": c, "pf_days": calc.pf_days(c)}


def gpt3_course(inp, exp):
    t5 = calc.PRESETS["t5-3b"]
    g3 = calc.PRESETS["gpt3-175b"]
    t5_pf = calc.pf_days(calc.training_flops(t5.params, t5.tokens, t5.flops_per_param_token))
    g3_pf = calc.pf_days(calc.training_flops(g3.params, g3.tokens, g3.flops_per_param_token))
    return {"t5_3b_pf_days_course": t5_pf, "gpt3_175b_pf_days_course": g3_pf,
            "t5_3b_pf_days_exact": t5_pf, "gpt3_175b_pf_days_exact": g3_pf}


def gpus_per_pf_day(inp, exp):
    gpu = {125: "V100", 312: "A100"}[inp["peak_tflops"]]
    assert calc.GPUS[gpu].dense_tflops == inp["peak_tflops"]
    n = calc.gpus_per_pf_day(gpu, inp["mfu"])
    cmp = calc.compare_gpus_per_pf_day(gpu)
    return {"gpus_for_1_pflops_at_100pct": n,
            "gpu_days_per_pf_day_at_100pct": calc.gpu_days(calc.PF_DAY_FLOPS, gpu, inp["mfu"]),
            "course_stated_gpus_constant": cmp.course_value}


HANDLERS = {
    "course_weights_": course_weights,
    "course_training_bytes_breakdown_": course_breakdown,
    "course_training_20x_rule_": course_20x,
    "course_training_by_precision_": course_by_precision,
    "course_training_large_models_": course_large,
    "exact_model_states_mixed_precision_adam_": exact_mixed,
    "exact_model_states_fp32_adam_": exact_fp32,
    "hf_anatomy_mixed_precision_adamw_": hf_anatomy,
    "zero_baseline_bytes_per_param": zero_baseline,
    "zero_fig1_": zero_stages,
    "zero_table1_": zero_stages,
    "kv_cache_": kv_cache,
    "chinchilla_table3_": chinchilla_table3,
    "chinchilla_20x_rule_": chinchilla_20x,
    "chinchilla_approach3_constants": chinchilla_constants,
    "kaplan_L_of_N_": kaplan_n,
    "pf_day_definition": pf_day,
    "gpt3_tableD1_": gpt3_row,
    "gpt3_course_pf_day_figures": gpt3_course,
    "gpus_per_pf_day_": gpus_per_pf_day,
}


def handler_for(case_id):
    matches = [h for prefix, h in HANDLERS.items() if case_id.startswith(prefix)]
    assert len(matches) == 1, f"no unique engine handler for reference case {case_id!r}"
    return matches[0]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reference_case(case):
    expected = dict(case["expected"])
    tol = case["rel_tol"]
    got = handler_for(case["id"])(case["inputs"], {**expected, "_rel_tol": tol})
    assert set(expected) <= set(got), f"engine covers {sorted(got)}, case expects {sorted(expected)}"
    for key, want in expected.items():
        assert math.isclose(got[key], want, rel_tol=tol), f"{case['id']}.{key}: got {got[key]!r}, want {want!r}"


def test_gpt3_preset_rows_match_table_d1():
    """Every Table D.1 preset reproduces its printed FLOPs and PF-days from N x D."""
    rows = [p for p in calc.PRESETS.values() if "pf_days" in p.published]
    assert len(rows) >= 17
    for p in rows:
        c = calc.training_flops(p.params, p.tokens, p.flops_per_param_token)
        assert math.isclose(c, p.published["total_flops"], rel_tol=0.005), p.name
        assert math.isclose(calc.pf_days(c), p.published["pf_days"], rel_tol=0.005), p.name
