"""``studyllm calc`` through argparse, as the main CLI will wire it."""

from __future__ import annotations

import argparse
import json

import pytest

from studyllm import cli_calc


def run(argv, capsys):
    parser = argparse.ArgumentParser(prog="studyllm")
    sub = parser.add_subparsers(dest="command")
    cli_calc.add_parser(sub)
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_memory_zero3_example(capsys):
    code, out, err = run("calc memory --params 7B --precision bf16 --train --zero 3 --gpus 64".split(), capsys)
    assert code == 0 and err == ""
    assert "ZeRO stage 3 on 64 GPUs" in out
    # 7e9 x 16 bytes / 64 = 1.75 GB per GPU
    assert "1.75 GB" in out
    assert "280 GB" in out  # the course's 20x rule, for comparison
    assert "16 bytes/param" in out


def test_memory_json_matches_engine(capsys):
    code, out, _ = run("calc memory --params 7.5B --train --zero 1 --gpus 64 --json".split(), capsys)
    assert code == 0
    data = json.loads(out)
    assert data["per_gpu_bytes"]["optimizer"] == pytest.approx(7.5e9 * 12 / 64)
    assert data["total_GB_per_gpu"] == pytest.approx(31.40625)
    assert data["comparisons"][0]["exact"]["value"] == pytest.approx(7.5e9 * 16)


def test_memory_preset_inference_adds_kv_cache(capsys):
    code, out, _ = run("calc memory --preset llama-7b --json".split(), capsys)
    assert code == 0
    data = json.loads(out)
    assert data["per_gpu_bytes"]["kv_cache"] == pytest.approx(2**30)
    assert data["per_gpu_bytes"]["weights"] == pytest.approx(6.7e9 * 2)


def test_memory_gib_display(capsys):
    code, out, _ = run("calc memory --params 1B --precision fp32 --unit GiB".split(), capsys)
    assert code == 0 and "3.725 GiB" in out


@pytest.mark.parametrize(
    "argv,expected_tokens,expected_flops",
    [
        ("calc scaling --params 70B", 1.4e12, 5.88e23),
        ("calc scaling --preset gpt3-175b", 300e9, 3.1428e23),
        ("calc scaling --params 70B --tokens 1.4T", 1.4e12, 5.88e23),
    ],
)
def test_scaling_json(capsys, argv, expected_tokens, expected_flops):
    code, out, _ = run((argv + " --json").split(), capsys)
    assert code == 0
    data = json.loads(out)
    assert data["tokens"] == pytest.approx(expected_tokens)
    assert data["compute_flops"] == pytest.approx(expected_flops, rel=1e-3)


def test_scaling_compute_gives_chinchilla_split(capsys):
    code, out, _ = run("calc scaling --compute 5.76e23".split(), capsys)
    assert code == 0
    assert "69.3B params, 1.39T tokens" in out
    assert "3.21 A100" in out and "sparsity" in out


def test_scaling_preset_text_and_wall_clock(capsys):
    code, out, _ = run("calc scaling --preset gpt3-175b --gpus 1024 --mfu 40%".split(), capsys)
    assert code == 0
    assert "3637" in out  # PF-days, Table D.1 prints 3.64e3
    assert "under-trained" in out
    assert "days on 1024 A100s" in out


@pytest.mark.parametrize(
    "argv,option",
    [
        ("calc memory --params seven", "--params"),
        ("calc memory --params 7B --precision fp9", "--precision"),
        ("calc memory --params 7B --zero 5", "--zero"),
        ("calc memory --params 7B --gpus 0", "--gpus"),
        ("calc memory --params 7B --train --precision int8", "--precision"),
        ("calc scaling --compute 1e999", "--compute"),
        ("calc scaling --params 70B --mfu 2", "--mfu"),
        ("calc scaling --preset gpt5", "--preset"),
        ("calc scaling --params 1B --gpu TPU", "--gpu"),
        ("calc memory", "--params"),
    ],
)
def test_bad_values_exit_2_without_traceback(capsys, argv, option):
    code, out, err = run(argv.split(), capsys)
    assert code == 2
    assert out == ""
    assert err.startswith(f"studyllm calc: error: {option}:")
    assert "Traceback" not in err


def test_list_presets(capsys):
    code, out, _ = run("calc scaling --list-presets".split(), capsys)
    assert code == 0
    assert "gpt3-175b" in out and "bloomberggpt-50b" in out and "bert-large" in out
