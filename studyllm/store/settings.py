"""User settings: defaults, validation, and falling back with a warning on bad values."""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import Any, NamedTuple

from studyllm.sm2 import MAX_INTERVAL_DAYS

GRADING_MODES = ("sm2", "four")
SCHEDULERS = ("sm2", "fsrs")


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number from {lo} to {hi}")
        if not lo <= value <= hi:
            raise ValueError(f"must be from {lo} to {hi}")
        return value

    return check


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError("must be one of " + ", ".join(options))
        return value

    check.options = options  # type: ignore[attr-defined]  # the Settings screen offers these
    return check


def options(key: str) -> tuple[str, ...]:
    """The values a choice setting takes (``grading_mode``: sm2, four); () for the others."""
    spec = SPECS.get(key)
    return tuple(getattr(spec.check, "options", ())) if spec is not None else ()


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of folder paths")
    return value


def _retention(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number from 0.70 to 0.99")
    if not 0.70 <= value <= 0.99:
        raise ValueError("must be from 0.70 to 0.99")
    return float(value)


def _steps(value: Any) -> list[int]:
    """FSRS (re)learning steps: whole minutes, each from 1 to 1440, in increasing order."""
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("must be a list of whole minutes, e.g. 1,10 (empty for none)")
    if len(value) > 10 or not all(1 <= v <= 1440 for v in value):
        raise ValueError("must be at most 10 steps, each from 1 to 1440 minutes")
    if any(b <= a for a, b in zip(value, value[1:], strict=False)):
        raise ValueError("must be in increasing order")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be on or off")
    return value


def _theme(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValueError("must be a theme name")
    return value


def _separators(value: Any) -> dict[str, str]:
    from studyllm.decks.frontmatter import check_separators

    if value == {}:
        return {}
    return check_separators(value)


class SettingSpec(NamedTuple):  # not a dataclass: the store's cold start loads this module (#14)
    key: str
    default: Any
    check: Callable[[Any], Any]
    help: str
    # follows the learner from machine to machine through the sync folder (docs/sync.md,
    # "Settings"); the others are about one machine
    travels: bool = False


SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec("new_per_day", 20, _int_range(0, 10_000), "New cards introduced per day (decks may override)",
                    travels=True),
        SettingSpec("reviews_per_day", 200, _int_range(0, 100_000), "Reviews shown per day (decks may override)",
                    travels=True),
        SettingSpec("rollover_hour", 4, _int_range(0, 23), "Local hour at which a new study day starts",
                    travels=True),
        SettingSpec("grading_mode", "sm2", _choice(*GRADING_MODES), "sm2: grades 0-5; four: Again/Hard/Good/Easy",
                    travels=True),
        SettingSpec("deck_folders", [], _str_list, "Your own deck folders, re-scanned at start-up"),
        SettingSpec("theme", "studyllm-dark", _theme, "Colour theme: studyllm-dark, studyllm-light or a Textual one"),
        SettingSpec("leech_lapses", 8, _int_range(1, 100), "Lapses after which a card is flagged as a leech",
                    travels=True),
        SettingSpec("drill_delay_minutes", 10, _int_range(0, 1440), "Minutes before a weak answer comes back",
                    travels=True),
        SettingSpec("backups_keep", 7, _int_range(0, 365), "Daily automatic backups to keep"),
        SettingSpec("max_deck_mb", 10, _int_range(1, 1024), "Largest deck file imported, in MB"),
        SettingSpec("scheduler", "sm2", _choice(*SCHEDULERS),
                    "sm2 (the default) or fsrs; switching reschedules every card from its own log", travels=True),
        SettingSpec("desired_retention", 0.9, _retention, "FSRS: the share of reviews you aim to recall (0.70-0.99)",
                    travels=True),
        SettingSpec("maximum_interval", MAX_INTERVAL_DAYS, _int_range(1, MAX_INTERVAL_DAYS),
                    "FSRS: the longest interval, in days", travels=True),
        SettingSpec("fsrs_learning_steps", [1, 10], _steps, "FSRS: same-day steps of a new card, in minutes",
                    travels=True),
        SettingSpec("fsrs_relearning_steps", [10], _steps, "FSRS: same-day steps after a lapse, in minutes",
                    travels=True),
        SettingSpec("fsrs_fuzz", True, _flag, "FSRS: spread intervals a little (seeded per card)", travels=True),
        SettingSpec("separators", {}, _separators,
                    "Card separators for decks without their own: 'inline=;; multiline=?' (default :: ::: ? ??)",
                    travels=True),
    )
}


# the settings that travel (above), and among them the ones that decide how an answer is
# scheduled: a change of these is a point in the merged timeline (docs/sync.md)
TRAVELLING = frozenset(k for k, spec in SPECS.items() if spec.travels)
SCHEDULER_KEYS = ("scheduler", "desired_retention", "maximum_interval", "fsrs_learning_steps",
                  "fsrs_relearning_steps", "fsrs_fuzz")


def validate(key: str, value: Any) -> Any:
    """Return the checked value, or raise ``ValueError`` naming the key."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(SPECS)}")
    try:
        return spec.check(value)
    except ValueError as exc:
        raise ValueError(f"setting {key!r} {exc} (got {reprlib.repr(value)})") from None


def parse_cli_value(key: str, text: str) -> Any:
    """Turn a command-line string into the setting's type (``20``, ``four``, ``a,b``)."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(SPECS)}")
    if isinstance(spec.default, bool):
        word = text.strip().lower()
        if word not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(f"setting {key!r} must be on or off (got {text!r})")
        value: Any = word in ("1", "true", "yes", "on")
    elif isinstance(spec.default, float):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"setting {key!r} must be a number such as 0.9 (got {text!r})") from None
    elif key in ("fsrs_learning_steps", "fsrs_relearning_steps"):
        try:
            value = [int(p) for p in (p.strip().removesuffix("m") for p in text.replace(" ", ",").split(",")) if p]
        except ValueError:
            raise ValueError(f"setting {key!r} takes whole minutes separated by commas, e.g. 1,10 "
                             f"(got {text!r})") from None
    elif isinstance(spec.default, int):
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"setting {key!r} must be a whole number (got {text!r})") from None
    elif isinstance(spec.default, list):
        value = [part for part in (p.strip() for p in text.split(",")) if part]
    elif isinstance(spec.default, dict):
        # `inline=;; multiline=?` (space-separated key=value pairs); "" or "default" for none
        value = {}
        if text.strip().lower() not in ("", "default", "{}"):
            for pair in text.split():
                key_part, eq, sep = pair.partition("=")
                if not eq:
                    raise ValueError(f"setting {key!r} takes key=value pairs such as 'inline=;;' (got {pair!r})")
                value[key_part] = sep
    else:
        value = text
    return validate(key, value)
