"""A long Hypothesis run over every parser of untrusted input, plus timings of 1 MB hostile lines.

    /work/venv/bin/python benchmarks/fuzz_long.py              # the recorded run (~10 min)
    /work/venv/bin/python benchmarks/fuzz_long.py --scale 0.05 # a quick look

The CI suite (``tests/test_hostile_input.py``) runs the same properties with 150 examples
each; this runs them with tens of thousands. Each property: any input ends in the project's
own error type with a position (``DeckError`` line/col, ``ValueError`` naming the field,
``ProgressError``), never another exception. The second table times single 1 MB lines made
of one repeated piece of syntax, each parsed in a child process with a time limit, to find
inputs that are slow rather than wrong.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import test_fuzz_budgets as budgets  # noqa: E402
import test_hostile_input as hostile  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ_DIR = Path(tempfile.mkdtemp(prefix="studyllm-fuzz-"))


def prop_parse_deck(text: str) -> None:
    hostile.test_fuzz_parse_deck_only_deck_errors_with_positions.hypothesis.inner_test(text=text)


def prop_outline(text: str) -> None:
    hostile.test_fuzz_outline_mode.hypothesis.inner_test(text=text)


class _Factory:
    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(dir=FUZZ_DIR, prefix=name))


FACTORY = _Factory()


def prop_parse_file(data: bytes) -> None:
    hostile.test_fuzz_parse_file_with_random_bytes.hypothesis.inner_test(data=data, tmp_path_factory=FACTORY)


def prop_quantity(text: str) -> None:
    hostile.test_fuzz_parse_quantity_raises_only_value_error_naming_the_field.hypothesis.inner_test(text=text)


def prop_anki_package(case: tuple[str, dict]) -> None:
    hostile.test_fuzz_anki_package_values_import_or_are_refused_before_writing.hypothesis.inner_test(
        case=case, tmp_path_factory=FACTORY)


def prop_export(data: bytes) -> None:
    hostile.test_fuzz_export_file_raises_only_progress_error.hypothesis.inner_test(data=data, tmp_path_factory=FACTORY)


EXPORT_DATA = st.one_of(
    st.binary(max_size=400),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
        lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=6), inner, max_size=5)),
        max_leaves=40,
    ).map(lambda v: json.dumps(v).encode()),
)

LONG_DECK = st.lists(st.one_of(st.sampled_from(hostile.TOKENS), st.text(max_size=20)), max_size=200).map("".join)

def prop_budget_deck(text: str) -> None:
    budgets.test_fuzz_deck_text_within_budget.hypothesis.inner_test(text=text, outline=False)


def prop_budget_front_matter(text: str) -> None:
    budgets.test_fuzz_front_matter_within_budget.hypothesis.inner_test(text=text)


def prop_budget_anki(text: str) -> None:
    budgets.test_fuzz_anki_text_within_budget.hypothesis.inner_test(text=text)


def prop_budget_export(text: str) -> None:
    budgets.test_fuzz_progress_export_within_budget.hypothesis.inner_test(text=text, tmp_path_factory=FACTORY)


def prop_budget_csv(text: str) -> None:
    budgets.test_fuzz_csv_export_within_budget.hypothesis.inner_test(text=text, tmp_path_factory=FACTORY)


_SETTINGS_STORE: list = []


def prop_budget_setting(value: tuple[str, str]) -> None:
    if not _SETTINGS_STORE:
        from studyllm.store import Store

        _SETTINGS_STORE.append(Store.open(Path(tempfile.mkdtemp(dir=FUZZ_DIR)) / "home"))
    key, raw = value
    budgets.test_fuzz_settings_rows_within_budget.hypothesis.inner_test(settings_store=_SETTINGS_STORE[0],
                                                                         key=key, raw=raw)


def prop_growth(value: tuple[str, str]) -> None:
    piece, context = value
    budgets.test_fuzz_deck_parse_time_grows_linearly.hypothesis.inner_test(piece=piece, context=context)


SETTING_ROWS = st.tuples(st.sampled_from(["new_per_day", "rollover_hour", "grading_mode", "deck_folders", "theme"]),
                         budgets.SETTING_TEXT)
GROWTH = st.tuples(st.one_of(st.sampled_from(budgets.DECK_TOKENS),
                             st.lists(st.sampled_from(budgets.DECK_TOKENS), min_size=2, max_size=3).map("".join)),
                   st.sampled_from(sorted(budgets.CONTEXTS)))

# the surfaces of tests/test_fuzz_budgets.py, each example within its CPU and memory budget
BUDGETED = [
    ("budget_deck", "deck text, up to 100 kB with repeated syntax, within budget", budgets.DECK_TEXT,
     prop_budget_deck, 1_000),
    ("budget_front_matter", "YAML front matter (aliases, tags, deep nesting), within budget", budgets.FRONT_MATTER,
     prop_budget_front_matter, 1_000),
    ("budget_anki", "Anki text export (headers, quotes, HTML), within budget", budgets.ANKI_TEXT,
     prop_budget_anki, 1_000),
    ("budget_export", "progress export JSON (odd values, 200,000-deep nesting), within budget",
     budgets.EXPORT_TEXT, prop_budget_export, 1_000),
    ("budget_csv", "progress export CSV, within budget", budgets.CSV_TEXT, prop_budget_csv, 1_000),
    ("budget_setting", "settings row (any JSON, 200,000-deep nesting), within budget", SETTING_ROWS,
     prop_budget_setting, 1_000),
    ("growth", "deck parse time for 4x the text (repeated syntax in 5 contexts) < 12x", GROWTH, prop_growth, 100),
]

PROPERTIES = [
    # name, what, strategy, property, examples at scale 1
    ("parse_deck", "deck parser, Markdown-ish text (<= 40 pieces)", hostile.deck_text, prop_parse_deck, 10_000),
    ("parse_deck_long", "deck parser, longer text (<= 200 pieces)", LONG_DECK, prop_parse_deck, 2_000),
    ("outline", "deck parser in outline mode", hostile.deck_text, prop_outline, 5_000),
    ("parse_file", "deck file of random bytes", st.binary(max_size=600), prop_parse_file, 3_000),
    ("parse_quantity", "calculator field (parse_quantity)", hostile.quantity_text, prop_quantity, 30_000),
    ("load_export", "progress export file (JSON / bytes)", EXPORT_DATA, prop_export, 2_000),
    ("anki_package", "Anki package, any value in one or two columns of its collection", hostile.anki_case,
     prop_anki_package, 1_000),
    *BUDGETED,
]


def run_property(name: str, strategy, prop, examples: int) -> dict:
    counter = {"n": 0}

    # no shrink phase: a failing example is reported as drawn (shrinking 100 kB inputs ran for minutes)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.reuse, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(value=strategy)
    def run(value):
        counter["n"] += 1
        prop(value)

    t0 = time.monotonic()
    failure = None
    try:
        run()
    except BaseException as exc:  # noqa: BLE001 - we report whatever escaped
        failure = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-1500:]
    return {"name": name, "examples": counter["n"], "seconds": round(time.monotonic() - t0, 1), "failure": failure}


PIECES = {
    "plain words": "word ",
    "[": "[",
    "[x](": "[x](",
    "*a": "*a",
    "<a": "<a",
    "`": "`",
    "{{c1::": "{{c1::",
    "==a": "==a",
    "\\": "\\",
    "|": "|",
    ":: ": ":: ",
    "\x1b[31m": "\x1b[31m",
}

_CHILD = """
import sys, time
from studyllm.decks.parser import parse_deck
piece = sys.stdin.read()
text = "Q: " + piece * (1_000_000 // len(piece)) + "\\nA: x\\n"
t = time.perf_counter()
deck = parse_deck(text, "long.md")
print(round(time.perf_counter() - t, 3), len(deck.cards), len(deck.errors))
"""


def time_long_lines(limit: float) -> list[dict]:
    out = []
    for label, piece in PIECES.items():
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD], input=piece, capture_output=True, text=True,
                                  timeout=limit, cwd=str(ROOT))
            if proc.returncode != 0:
                out.append({"piece": label, "seconds": None, "result": "crash: " + proc.stderr.strip()[-300:]})
                continue
            secs, cards, errors = proc.stdout.split()
            out.append({"piece": label, "seconds": float(secs), "result": f"{cards} card(s), {errors} error(s)"})
        except subprocess.TimeoutExpired:
            out.append({"piece": label, "seconds": None, "result": f"still parsing after {limit:.0f} s"})
        print(f"  1 MB of {label!r}: {out[-1]}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every example count (default 1)")
    ap.add_argument("--line-limit", type=float, default=120.0, help="seconds allowed per 1 MB line (default 120)")
    ap.add_argument("--no-lines", action="store_true", help="skip the 1 MB line timings")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--only", metavar="NAME", action="append", help="run only these properties (repeatable)")
    args = ap.parse_args(argv)
    results = []
    for name, what, strategy, prop, examples in PROPERTIES:
        if args.only and name not in args.only:
            continue
        n = max(10, int(examples * args.scale))
        res = run_property(name, strategy, prop, n)
        res["what"] = what
        results.append(res)
        print(f"{name}: {res}", file=sys.stderr)
    lines = [] if args.no_lines else time_long_lines(args.line_limit)
    print("| Input | Examples | Time (s) | Escaped exceptions |")
    print("|---|---:|---:|---|")
    for r in results:
        print(f"| {r['what']} | {r['examples']:,} | {r['seconds']} | {r['failure'] or 'none'} |")
    if lines:
        print("\n| 1 MB single line of | Parse time (s) | Result |")
        print("|---|---:|---|")
        for r in lines:
            secs = "-" if r["seconds"] is None else f"{r['seconds']:.2f}"
            print(f"| `{r['piece']!r}` | {secs} | {r['result']} |")
    if budgets.USAGE:
        print("\n| Budgeted surface | Examples | Largest input | Most of its CPU budget one example used "
              "| Most of its memory budget |")
        print("|---|---:|---:|---:|---:|")
        for what, u in budgets.USAGE.items():
            print(f"| {what} | {int(u['examples']):,} | {int(u['largest']):,} | {100 * u['cpu']:.0f}% "
                  f"| {100 * u['memory']:.0f}% |")
    if args.json:
        Path(args.json).write_text(json.dumps({"properties": results, "long_lines": lines,
                                               "budgets": budgets.USAGE}, indent=2))
    return 1 if any(r["failure"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
