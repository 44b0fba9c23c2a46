"""Where studyllm keeps its data. Nothing here touches the disk until asked."""

from __future__ import annotations

import errno
import os
from pathlib import Path

ENV_HOME = "STUDYLLM_HOME"
DB_NAME = "studyllm.db"


def default_home() -> Path:
    """The platform's user data folder, e.g. ``~/.local/share/studyllm`` on Linux."""
    from platformdirs import user_data_path

    return user_data_path("studyllm", appauthor=False)


def expand_user(path: str | os.PathLike[str], *, strict: bool = True) -> Path:
    """``Path(path).expanduser()``, which raises ``RuntimeError`` for ``~name/...`` when this
    machine has no user ``name`` (a path typed by hand, a ``deck_folders`` entry synced from
    another machine). Then: ``FileNotFoundError`` naming the path (``strict``: every command reports
    an ``OSError`` in one line), else the path as written, which is then a missing path."""
    p = Path(path)
    try:
        return p.expanduser()
    except RuntimeError:
        if not strict:
            return p
        user = str(path)[1:].split("/", 1)[0].split(os.sep, 1)[0]
        raise FileNotFoundError(errno.ENOENT, f"there is no user {user!r} on this machine, so ~{user} is no folder",
                                str(path)) from None


def resolve_home(cli_home: str | os.PathLike[str] | None = None) -> Path:
    """``--home`` wins, then ``$STUDYLLM_HOME``, then the platform default."""
    if cli_home:
        return expand_user(cli_home)
    env = os.environ.get(ENV_HOME, "").strip()
    if env:
        return expand_user(env)
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
