"""Progress store: SQLModel tables over SQLite, the daily queue, answers, import sync."""

from studyllm.store.db import StoreError
from studyllm.store.service import AnswerResult, CardView, DeckSummary, QueueCounts, Store

__all__ = ["AnswerResult", "CardView", "DeckSummary", "QueueCounts", "Store", "StoreError"]
