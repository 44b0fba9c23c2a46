"""Key bindings grouped by meaning: Help's lines and the command palette's entries are both
built here from the screens' own ``BINDINGS``, so neither can drift from the keys.

A *meaning* is an action with its arguments: ``space`` and ``enter`` both ``reveal``, so they
make one line ("Space, Enter  Show answer"). A run of the same action over numbered
arguments (``choose(1)``…``choose(9)``, ``grade(0)``…``grade(5)``) is one line too ("1–9
Choose"). Each line has a *purpose* (Study, Answer, Grade, This card, Go to…), read from a
small table by action name; an action not in the table still appears, under "Other keys".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from textual.actions import ActionError, parse
from textual.binding import Binding, BindingType

__all__ = ["DOES", "KeyLine", "PURPOSES", "action_name", "key_lines", "key_name"]

# action name -> purpose, in the order Help shows the purposes
PURPOSES: dict[str, str] = {
    "study_selected": "Study", "study_all": "Study", "custom_study": "Study",
    "reveal": "Answer", "choose": "Answer", "order_cursor": "Order", "order_move": "Order",
    "grade": "Grade", "button": "Grade",
    "undo": "This card", "bury": "This card", "suspend": "This card", "edit": "This card",
    "calculator": "This card", "math_source": "This card", "toggle_suspend": "This card", "toggle_bury": "This card",
    "focus_search": "Find", "focus_results": "Find", "focus_path": "Find",
    "preview": "Import", "run_import": "Import",
    "toggle_theme": "View",
    "sync": "Sync",
    "cycle_days": "View", "set_days": "View", "reload": "View", "refresh": "View", "switch_tab": "View",
    "scroll_card": "Read",
    "go": "Go to", "help": "Go to", "command_palette": "Go to",
    "leave": "Leave", "pop_screen": "Leave", "quit": "Leave",
}
OTHER = "Other keys"

# What an action does, for the command palette, where a binding has no tooltip of its own
DOES: dict[str, str] = {
    "reveal": "Show this card's answer",
    "undo": "Take back the last answer, bury or suspend, one step at a time",
    "bury": "Hide this card until tomorrow",
    "suspend": "Keep this card out of study until it is unsuspended (Browse)",
    "edit": "Open this card's deck file in your editor, at the card",
    "calculator": "Open the calculators with this card's numbers",
    "math_source": "Show this card's formulas as typed (LaTeX), or as symbols again",
    "toggle_theme": "Switch between studyllm's light and dark themes",
    "switch_tab": "Switch between the memory and scaling calculators",
    "preview": "Check the decks without importing them",
    "run_import": "Import the decks at the path",
    "focus_path": "Put the cursor in the path box",
}

_NAMES = {"question_mark": "?", "exclamation_mark": "!", "comma": ",", "slash": "/", "space": "Space",
          "enter": "Enter", "escape": "Esc", "shift+up": "⇧↑", "shift+down": "⇧↓", "up": "↑", "down": "↓",
          "pageup": "PgUp", "pagedown": "PgDn", "tab": "Tab"}


def key_name(key: str) -> str:
    """How a key is written for people: ``question_mark`` → ``?``, ``ctrl+t`` → ``Ctrl+T``, ``f1`` → ``F1``."""
    if key in _NAMES:
        return _NAMES[key]
    if key.startswith("ctrl+"):
        return "Ctrl+" + key_name(key[5:]).upper()
    if key[:1] == "f" and key[1:].isdigit():
        return key.upper()
    return key


@dataclass
class KeyLine:
    purpose: str
    action: str  # as bound, with its namespace: "app.go('browse')", "reveal"
    name: str  # the action's name: "go", "reveal"
    params: tuple[object, ...]
    keys: list[str] = field(default_factory=list)  # Textual key names, in binding order
    shown: list[str] = field(default_factory=list)  # the same keys as written for people
    descriptions: list[str] = field(default_factory=list)  # one per key (a run) or one
    tooltip: str = ""
    run: bool = False  # a numbered run (choose 1–9): one line, one key per argument
    priority: bool = False

    @property
    def key_text(self) -> str:
        if self.run:
            first, last = key_name(self.keys[0]), key_name(self.keys[-1])
            return f"{first}–{last}" if len(self.keys) > 1 else first
        return ", ".join(dict.fromkeys(self.shown))

    @property
    def text(self) -> str:
        """What the line says: the description, or each key's for a run whose keys differ."""
        if self.run and len(set(self.descriptions)) > 1:
            common = _common_word(self.descriptions)
            if common:
                return common
            return " · ".join(f"{key_name(k)} {d}" for k, d in zip(self.keys, self.descriptions, strict=True))
        return self.descriptions[0] if self.descriptions else self.name.replace("_", " ")


def _common_word(words: list[str]) -> str:
    """"Choose" for "Choose", "Choose 2", … "Choose 9" (numbered copies of one description)."""
    first = words[0]
    if all(w == first or (w.startswith(first + " ") and w[len(first) + 1:].isdigit()) for w in words):
        return first
    return ""


def _as_binding(item: BindingType) -> Binding:
    return Binding(*item) if isinstance(item, tuple) else item


def _parse(action: str) -> tuple[str, tuple[object, ...]]:
    try:
        _ns, name, params = parse(action)
    except ActionError:
        return action, ()
    if name == "kind" and params:  # a card kind's own key (the study screen's presenters): its own name
        return str(params[0]), tuple(params[1:])
    return name, tuple(params)


def action_name(action: str) -> str:
    """The name a binding's action has here: ``grade(4)`` → ``grade``; a card kind's key
    ``kind('choose', 1)`` → ``choose``."""
    return _parse(action)[0]


def key_lines(bindings: Iterable[BindingType], *, skip: Iterable[str] = ()) -> list[KeyLine]:
    """One line per meaning, in purpose order (then binding order). ``skip``: action names left
    out (e.g. the grade map of the grading mode not in use)."""
    skipped = set(skip)
    lines: dict[tuple[str, tuple[object, ...]], KeyLine] = {}
    runs: dict[str, KeyLine] = {}
    for item in bindings:
        b = _as_binding(item)
        name, params = _parse(b.action)
        if name in skipped:
            continue
        keys = [k.strip() for k in b.key.split(",") if k.strip()]
        numbered = len(params) == 1 and isinstance(params[0], int) and keys and all(k.isdigit() for k in keys)
        if numbered and name not in ("order_cursor", "order_move", "scroll_card"):
            line = runs.get(name)
            if line is None:
                line = runs[name] = KeyLine(PURPOSES.get(name, OTHER), b.action, name, (), run=True)
                lines[(name, ("run",))] = line
            line.keys.extend(keys)
            line.descriptions.extend([b.description or name] * len(keys))
            continue
        line = lines.get((name, params))
        if line is None:
            line = lines[(name, params)] = KeyLine(PURPOSES.get(name, OTHER), b.action, name, params,
                                                   priority=b.priority)
            line.descriptions.append(b.description or name.replace("_", " "))
            line.tooltip = b.tooltip or ""
        elif not line.tooltip and b.tooltip:
            line.tooltip = b.tooltip
        line.keys.extend(keys)
        line.shown.extend(b.key_display if b.key_display and len(keys) == 1 else key_name(k) for k in keys)
    order = list(dict.fromkeys([*PURPOSES.values(), OTHER]))
    out = list(lines.values())
    out.sort(key=lambda line: order.index(line.purpose))  # stable: binding order within a purpose
    return out
