"""Fitting a DataTable column to the screen width (home's deck titles, browse's fronts)."""

from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def fit_column(table: DataTable, key: str, width: int) -> bool:
    """Give column ``key`` a fixed ``width``. True when it changed, so the caller can
    redraw the rows (their text is cut to the column's width)."""
    col = table.columns.get(ColumnKey(key))
    if col is None or col.width == width:
        return False
    col.width = width
    col.auto_width = False
    return True
