"""Pilot tests for the calculator screen: typing updates results, bad input shows inline,
prefill from a calc card works."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from studyllm import calc
from studyllm.calc.cards import draw, parse_spec
from studyllm.ui.screens.calculators import CalculatorScreen


class CalcApp(App):
    def __init__(self, **screen_kwargs):
        super().__init__()
        self.screen_kwargs = screen_kwargs

    def on_mount(self) -> None:
        self.push_screen(CalculatorScreen(**self.screen_kwargs))


def cell(screen, table_id, row, col):
    return str(screen.query_one(f"#{table_id}", DataTable).get_cell(row, col))


def text_of(screen, selector):
    return str(screen.query_one(selector, Static).render())


async def set_value(pilot, input_id, text):
    """Set an input's value without typing (for setup steps; it fires the same Changed event)."""
    pilot.app.screen.query_one(f"#{input_id}", Input).value = text
    await pilot.pause()


async def type_into(pilot, input_id, text):
    widget = pilot.app.screen.query_one(f"#{input_id}", Input)
    widget.focus()
    widget.value = ""
    await pilot.pause()
    await pilot.press(*list(text))
    await pilot.pause()


async def test_memory_tab_typing_errors_training_and_presets():
    app = CalcApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert cell(screen, "mem-table", "weights", "bytes") == "14 GB"  # 7B at bf16
        # every keystroke updates the table
        await type_into(pilot, "mem-params", "70B")
        assert cell(screen, "mem-table", "weights", "bytes") == "140 GB"
        assert "does NOT fit" in text_of(screen, "#mem-total")

        # invalid input: message under the input, the result panel says so, no old figure, no crash
        await pilot.press("x")  # "70Bx"
        error = screen.query_one("#mem-params-error", Static)
        assert error.display and str(error.render()).startswith("params:") and "'70Bx'" in str(error.render())
        assert screen.query_one("#mem-params", Input).has_class("invalid-value")
        assert screen.query_one("#mem-table", DataTable).row_count == 0
        assert "Inputs invalid" in text_of(screen, "#mem-error") and text_of(screen, "#mem-total") == ""
        assert screen.memory_report is None
        await type_into(pilot, "mem-gpus", "0")
        assert "gpus" in text_of(screen, "#mem-gpus-error")
        # fixing the values clears the messages
        await set_value(pilot, "mem-params", "13B")
        await type_into(pilot, "mem-gpus", "2")
        assert not screen.query_one("#mem-params-error", Static).display
        assert cell(screen, "mem-table", "weights", "bytes") == "13 GB"  # 26 GB split over 2 GPUs

        # training with ZeRO-3 on 64 GPUs, and the course's rule next to the exact figure
        await set_value(pilot, "mem-params", "7B")
        screen.query_one("#mem-mode", Select).value = "train"
        screen.query_one("#mem-zero", Select).value = 3
        await pilot.pause()
        await type_into(pilot, "mem-gpus", "64")
        report = screen.memory_report
        assert report.train and report.zero_stage == 3 and report.num_gpus == 64
        assert cell(screen, "mem-table", "optimizer", "bytes") == calc.format_bytes(7e9 * 12 / 64)
        assert cell(screen, "mem-table", "total", "bytes") == "1.75 GB"
        explain = text_of(screen, "#mem-explain")
        assert "20 x weights" in explain and "16 bytes/param" in explain and "280 GB" in explain
        assert screen.query_one("#seg-optimizer").display  # the bar of where the bytes go
        assert "optimizer 75%" in text_of(screen, "#mem-legend")

        # training in int8 is refused inline
        screen.query_one("#mem-precision", Select).value = "int8"
        await pilot.pause()
        assert "precision" in text_of(screen, "#mem-error")
        screen.query_one("#mem-precision", Select).value = "bf16"
        screen.query_one("#mem-mode", Select).value = "infer"
        await set_value(pilot, "mem-gpus", "1")

        # a preset fills the architecture, which adds the KV cache
        screen.query_one("#mem-preset", Select).value = "llama-7b"
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#mem-layers", Input).value == "32"
        assert cell(screen, "mem-table", "kv_cache", "bytes") == calc.format_bytes(2**30)


async def test_scaling_tab_typing_plot_and_errors():
    app = CalcApp(tab="scaling")
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(TabbedContent).active == "scaling"
        assert cell(screen, "sc-table", "compute", "value") == "5.88e23 FLOPs"  # 70B x 1.4T
        await type_into(pilot, "sc-tokens", "30B")
        assert cell(screen, "sc-table", "compute", "value") == calc.format_flops(6 * 70e9 * 30e9)
        assert cell(screen, "sc-table", "tokens_per_param", "value") == "0.429"
        assert "under-trained" in text_of(screen, "#sc-verdict")
        assert "sparsity" in text_of(screen, "#sc-explain")
        assert "IsoFLOP" in str(screen.query_one("#sc-plot").render())
        await type_into(pilot, "sc-mfu", "50%")
        assert screen.scaling_report.mfu == 0.5
        await type_into(pilot, "sc-mfu", "2")
        assert "mfu" in text_of(screen, "#sc-mfu-error")
        await set_value(pilot, "sc-mfu", ".4")
        # compute alone: the Chinchilla split
        screen.query_one("#sc-params", Input).value = ""
        screen.query_one("#sc-tokens", Input).value = ""
        await set_value(pilot, "sc-compute", "5.76e23")
        assert cell(screen, "sc-table", "optimal", "value") == "69.3B params, 1.39T tokens"
        # three of three is one too many
        await set_value(pilot, "sc-params", "7B")
        await type_into(pilot, "sc-tokens", "1T")
        assert "at most two" in text_of(screen, "#sc-error")


async def test_prefill_from_a_calc_card():
    spec = parse_spec(
        "question: ZeRO {zero_stage} on {gpus} GPUs for {params}?\nvars:\n  params: 13B\n  zero_stage: 2\n"
        "  gpus: 16\n  precision: fp16\nanswer: model_state_bytes(params, zero_stage=zero_stage, num_gpus=gpus).total\n"
        "unit: GB\ntolerance: 2%")
    question = draw(spec, 1)
    app = CalcApp(prefill=question.values, tab=question.tab)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#mem-params", Input).value == "13B"
        assert screen.query_one("#mem-gpus", Input).value == "16"
        assert screen.query_one("#mem-zero", Select).value == 2
        assert screen.query_one("#mem-mode", Select).value == "train"
        assert screen.query_one("#mem-precision", Select).value == "fp16"
        model_states = sum(screen.memory_report.as_dict()["per_gpu_bytes"][k]
                           for k in ("weights", "gradients", "optimizer")) / 1e9
        assert model_states == pytest.approx(question.answer)


async def test_prefill_scaling_with_preset_and_mfu():
    app = CalcApp(prefill={"preset": "gpt3-175b", "mfu": 0.3, "gpu": "V100"}, tab="scaling")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#sc-params", Input).value == "174.6B"
        assert screen.query_one("#sc-mfu", Input).value == "30%"
        r = screen.scaling_report
        assert r.gpu == "V100" and r.mfu == pytest.approx(0.3)
        assert r.pf_days == pytest.approx(3637.5, rel=1e-3)


async def test_card_text_in_prefill_is_not_markup():
    app = CalcApp(prefill={"params": "[@click=app.quit]7B[/]"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "[@click=app.quit]" in text_of(screen, "#mem-params-error")
        assert app.is_running


def test_prefill_numbers_are_written_as_inputs_take_them():
    from studyllm.ui.screens.calculators import qty

    assert qty(5.76e23) == "5.76e23"
    assert qty(174.6e9) == "174.6B"
    assert qty(1.4e12) == "1.4T"
    assert qty(64) == "64"
    for value in (5.76e23, 174.6e9, 1.4e12, 64, 0.5, 3.2e4):
        assert calc.parse_quantity(qty(value)) == pytest.approx(value)


async def test_invalid_inputs_leave_no_stale_result_on_either_tab():
    """Issue #19 item 4: 70B int4 inference, then Mode -> Training (int4 training is refused):
    the panel says the inputs are invalid and the 35 GB inference figure is gone."""
    app = CalcApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await set_value(pilot, "mem-params", "70B")
        screen.query_one("#mem-precision", Select).value = "int4"
        await pilot.pause()
        assert cell(screen, "mem-table", "weights", "bytes") == "35 GB"
        screen.query_one("#mem-mode", Select).value = "train"
        await pilot.pause()
        assert screen.query_one("#mem-table", DataTable).row_count == 0
        assert text_of(screen, "#mem-title") == "No result"
        assert "Inputs invalid" in text_of(screen, "#mem-error")
        assert "35 GB" not in text_of(screen, "#mem-total") + text_of(screen, "#mem-legend")
        assert not any(screen.query_one(f"#seg-{k}").display for k in ("weights", "optimizer", "kv_cache"))
        # back to a valid mode: the result returns
        screen.query_one("#mem-mode", Select).value = "infer"
        await pilot.pause()
        assert cell(screen, "mem-table", "weights", "bytes") == "35 GB"
        assert "Inputs invalid" not in text_of(screen, "#mem-error")

        # the scaling tab: an MFU over 100% clears the table and the verdict
        await pilot.press("ctrl+t")
        await pilot.pause()
        await set_value(pilot, "sc-mfu", "150%")
        assert screen.query_one("#sc-table", DataTable).row_count == 0
        assert text_of(screen, "#sc-verdict") == "" and "Inputs invalid" in text_of(screen, "#sc-error")
        assert screen.scaling_report is None
        await set_value(pilot, "sc-mfu", "40%")
        assert screen.query_one("#sc-table", DataTable).row_count > 0


def _question(body: str, seed: int = 1):
    return draw(parse_spec(body), seed)


def test_calculator_inputs_carry_every_number_the_card_uses():
    """Issue #19 item 5: `c` on a calc card carries precision, mode, ZeRO stage, GPUs, GPU, MFU."""
    from studyllm.calc.cards import calculator_inputs

    zero = calculator_inputs(_question(
        "question: ZeRO {zero_stage} on {gpus} GPUs for {params}?\nvars:\n  params: 13B\n  zero_stage: 2\n"
        "  gpus: 16\nanswer: model_state_bytes(params, zero_stage=zero_stage, num_gpus=gpus).total\n"
        "unit: GB\ntolerance: 2%"))
    assert zero["params"] == 13e9 and zero["zero_stage"] == 2 and zero["gpus"] == 16
    assert zero["train"] is True and zero["precision"] == "bf16"  # mixed precision: 16-bit weights
    course = calculator_inputs(_question(
        "question: 20x rule for {params}?\nvars:\n  params: 7B\nanswer: course_training_bytes(params, fp32)\n"
        "unit: GB\ntolerance: 2%"))
    assert course["train"] is True and course["precision"] == "fp32"
    served = calculator_inputs(_question(
        "question: {params} in int4?\nvars:\n  params: 70B\nanswer: weights_bytes(params, int4)\n"
        "unit: GB\ntolerance: 2%"))
    assert served["train"] is False and served["precision"] == "int4" and served["params"] == 70e9
    wall = calculator_inputs(_question(
        "question: days?\nvars:\n  gpus: 1024\n  mfu: 40%\nanswer: training_days(training_flops(7B, 1T), "
        "gpus, A100, mfu)\nunit: days\ntolerance: 3%"))
    assert wall["gpu"] == "A100" and wall["gpus"] == 1024 and wall["mfu"] == pytest.approx(0.4)
    assert wall["params"] == 7e9 and wall["tokens"] == 1e12


async def test_c_on_a_card_shows_its_mode_precision_zero_and_gpus():
    body = ("question: ZeRO {zero_stage} on {gpus} GPUs for {params}?\nvars:\n  params: 7.5B\n  zero_stage: 3\n"
            "  gpus: 64\nanswer: model_state_bytes(params, zero_stage=zero_stage, num_gpus=gpus).total\n"
            "unit: GB\ntolerance: 2%")
    from studyllm.calc.cards import calculator_inputs

    question = _question(body)
    app = CalcApp(prefill=calculator_inputs(question), tab=question.tab)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#mem-mode", Select).value == "train"
        assert screen.query_one("#mem-zero", Select).value == 3
        assert screen.query_one("#mem-gpus", Input).value == "64"
        assert screen.query_one("#mem-precision", Select).value == "bf16"
        model_states = sum(screen.memory_report.as_dict()["per_gpu_bytes"][k]
                           for k in ("weights", "gradients", "optimizer")) / 1e9
        assert model_states == pytest.approx(question.answer)  # the calculator shows the card's answer
