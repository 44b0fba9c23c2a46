"""One presenter per card kind (see :mod:`studyllm.ui.presenters.base`).

A new kind: a :class:`Presenter` subclass with its ``kind``, added to :data:`PRESENTERS`,
plus the parser rule that makes cards of that kind. Its keys (``KEYS``) join the study
screen's bindings by themselves.
"""

from __future__ import annotations

from studyllm.store.service import CardView
from studyllm.ui.presenters.base import ClozePresenter, Presenter, Revealed, is_raw_list, review_seed
from studyllm.ui.presenters.calc import CalcPresenter
from studyllm.ui.presenters.mcq import ChoicePresenter
from studyllm.ui.presenters.ordered import OrderPresenter

__all__ = ["PRESENTERS", "Presenter", "Revealed", "is_raw_list", "presenter_class", "presenter_for", "review_seed"]

PRESENTERS: dict[str, type[Presenter]] = {
    p.kind: p for p in (Presenter, ClozePresenter, ChoicePresenter, OrderPresenter, CalcPresenter)
}


def presenter_class(kind: str) -> type[Presenter]:
    """The presenter of a kind; an unknown kind (a newer deck format) is shown as a basic card."""
    return PRESENTERS.get(kind, Presenter)


def presenter_for(card: CardView) -> Presenter:
    return presenter_class(card.kind)(card)
