"""The database schema as SQL, generated from the SQLModel models (:mod:`studyllm.store.models`).

The models are the one source of the schema. ``schema.sql`` beside this module is what
SQLAlchemy's SQLite dialect writes for them (the statements ``metadata.create_all`` runs),
checked in so that creating a database runs it with plain ``sqlite3`` and never imports
SQLAlchemy (:func:`statements`). A test keeps the file equal to the models; after changing
a model, add a migration step (:mod:`studyllm.store.migrations`) and regenerate it::

    python -m studyllm.store.schema --write     # rewrite schema.sql from the models
    python -m studyllm.store.schema --check     # exit 1 if schema.sql is out of date
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("schema.sql")

HEADER = (
    "-- Generated from studyllm/store/models.py by `python -m studyllm.store.schema --write`.\n"
    "-- Do not edit by hand: change the models, add a step to studyllm/store/migrations.py, regenerate.\n"
)


def generate() -> str:
    """The CREATE TABLE and CREATE INDEX statements of every SQLModel table, in dependency
    order, as SQLAlchemy's SQLite dialect writes them. Imports SQLAlchemy and the models."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from studyllm.store import models

    dialect = sqlite.dialect()
    parts = [HEADER]
    for table in models.SQLModel.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";\n")
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";\n")
    return "\n".join(parts)


def split(text: str) -> list[str]:
    """The statements of an SQL script (comments dropped, the final ``;`` removed)."""
    out: list[str] = []
    pending: list[str] = []
    for line in text.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending.append(line)
        statement = "".join(pending)
        if sqlite3.complete_statement(statement):
            out.append(statement.strip().removesuffix(";").rstrip())
            pending = []
    if "".join(pending).strip():
        raise ValueError(f"{SCHEMA_FILE.name}: the last statement is not complete")
    return out


def statements() -> list[str]:
    """The statements of the checked-in ``schema.sql`` (what a new database runs)."""
    return split(SCHEMA_FILE.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studyllm.store.schema", description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite schema.sql from the models")
    mode.add_argument("--check", action="store_true", help="exit 1 when schema.sql differs from the models")
    args = ap.parse_args(argv)
    text = generate()
    if args.write:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
        return 0
    if args.check:
        current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        if current != text:
            print(f"{SCHEMA_FILE} is out of date: run python -m studyllm.store.schema --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
