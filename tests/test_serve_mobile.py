"""A phone's width (40-50 columns): the grade bar fits, every grade stays a click (tap) target,
and a card can be studied in the browser at a phone-sized viewport."""

from __future__ import annotations

import re

import pytest

from studyllm.ui.widgets.grades import GradeBar, buttons


@pytest.mark.parametrize("mode", ["sm2", "four"])
@pytest.mark.parametrize("width", [40, 45, 50, 53, 56, 80])
def test_grade_bar_fits_and_keeps_a_target_per_grade(mode: str, width: int) -> None:
    bar = GradeBar(mode=mode)
    bar.active = True
    line = bar.lines_content(width)
    assert len(line.plain.rstrip()) <= width
    targets = {}
    for span in line.spans:
        found = re.search(r"@click=(\S+)", str(span.style))
        if found:
            targets[found.group(1)] = span.end - span.start
    actions = set(targets)
    assert min(targets.values()) >= 3, "a tap target is at least three cells wide"
    wanted = {action for _label, _grade, action, _variant in buttons(mode)}
    assert wanted <= actions, f"missing tap targets: {wanted - actions}"
    keys = [label.split()[0] for label, *_ in buttons(mode)]
    assert all(k in line.plain for k in keys)
