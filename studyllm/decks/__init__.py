"""Markdown decks: parse files into cards (pure layer)."""

from studyllm.decks.model import CARD_KINDS, DeckError, ParsedCard, ParsedDeck

__all__ = ["CARD_KINDS", "DeckError", "ParsedCard", "ParsedDeck"]
