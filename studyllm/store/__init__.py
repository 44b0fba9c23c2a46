"""Progress store: SQLModel tables over SQLite, the daily queue, answers, import sync."""

from studyllm.store.db import StoreError
from studyllm.store.service import AnswerResult, CardChangedError, CardView, DeckSummary, NextDue, QueueCounts, Store

__all__ = [
    "AnswerResult", "CardChangedError", "CardView", "DeckSummary", "NextDue", "QueueCounts", "Store", "StoreError",
]
