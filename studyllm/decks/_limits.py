"""Limits on what one deck file may hold and cost to read (pure). Read as ``_limits.NAME`` so a
test can lower them; ``docs/deck-format.md`` ("Limits") lists them for users."""

from __future__ import annotations

MAX_FILE_BYTES = 10 * 1024 * 1024
# markdown-it-py's inline rules get slow (superlinear) on pathological megabyte lines; no real
# card needs a line this long, so such a file is refused with its line number.
MAX_LINE_CHARS = 100_000
# No card needs a side this long; drawing one froze the study screen for seconds.
MAX_CARD_CHARS = 100_000
# Bounds on one file's work, per 10 MB of the size limit (max_deck_mb = 64 allows 6.4 times
# as much): markdown-it spends ~10 µs and several objects per line, and the importer about
# 90 µs and 4 KB per card (a 10 MB file of 3 million one-letter paragraphs took minutes and
# gigabytes). Real decks stay below: 10 MB of the benchmark's cards is 40,000 cards on 120,000
# lines.
MAX_LINES = 200_000  # lines that are not empty
MAX_CARDS = 50_000
# The inline pass costs a few microseconds per character that can open one of the constructs
# it reads (real decks have about one per 100 bytes): a paragraph with more of them than this
# is skipped, and so is every paragraph holding any once the file has spent its budget.
MAX_INLINE_STOPS = 20_000
MAX_INLINE_STOPS_PER_FILE = 1_000_000
HINT_MAX_CHARS = 1_000_000  # a file with no cards is parsed again in the other modes, up to this size
