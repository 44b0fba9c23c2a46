"""Where studyllm keeps its data. Nothing here touches the disk until asked."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "STUDYLLM_HOME"
DB_NAME = "studyllm.db"


def default_home() -> Path:
    """The platform's user data folder, e.g. ``~/.local/share/studyllm`` on Linux."""
    from platformdirs import user_data_path

    return user_data_path("studyllm", appauthor=False)


def resolve_home(cli_home: str | os.PathLike[str] | None = None) -> Path:
    """``--home`` wins, then ``$STUDYLLM_HOME``, then the platform default."""
    if cli_home:
        return Path(cli_home).expanduser()
    env = os.environ.get(ENV_HOME, "").strip()
    if env:
        return Path(env).expanduser()
    return default_home()


def db_path(home: Path) -> Path:
    return home / DB_NAME


def shipped_decks_dir() -> Path | None:
    """The course decks: packaged as ``studyllm/_decks`` in a wheel, ``decks/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_decks", here.parent / "decks"):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return None
