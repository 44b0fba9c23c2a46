"""``model.make_card`` builds the same ParsedCard as its dataclass constructor."""

from __future__ import annotations

import dataclasses

import pytest

from studyllm.decks.model import ParsedCard, make_card


@pytest.mark.parametrize("fields", [
    ("basic", "Q", "A", (), 1, 1, "", (), {}),
    ("cloze", "a [...] c", "a **b** c", ("H1", "H2"), 12, 3, "c1", ("t1", "t2"), {"index": "1", "answers": ["b"]}),
])
def test_make_card_is_the_dataclass_card(fields):
    kind, front, back, path, line, col, variant, tags, extra = fields
    fast = make_card(*fields)
    slow = ParsedCard(kind=kind, front=front, back=back, heading_path=path, line=line, col=col, variant=variant,
                      tags=tags, extra=extra)
    assert fast == slow
    assert [getattr(fast, f.name) for f in dataclasses.fields(ParsedCard)] == \
        [getattr(slow, f.name) for f in dataclasses.fields(ParsedCard)]
    assert fast.schedule is None
    assert dataclasses.replace(fast, front="other") == dataclasses.replace(slow, front="other")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.front = "x"  # type: ignore[misc]


def test_make_card_sets_every_field():
    """A field added to ParsedCard must be added to make_card too."""
    from studyllm.decks import model

    assert len(model._CARD_SLOTS) == len(dataclasses.fields(ParsedCard))
