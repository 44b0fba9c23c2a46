"""Turning card text into what a terminal can show (pure: no Textual, no SQL)."""
