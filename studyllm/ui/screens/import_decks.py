"""Import: pick a file or folder, preview the report (dry run), then import with progress.

The report lists every card the import changes (file:line and front). Possible rewrites
found by the preview are shown as a checklist: the ones ticked are linked by the import.

The work runs in a thread worker so a large folder never freezes the UI; progress and the
report come back through ``call_from_thread``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text, TextType
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, ProgressBar, SelectionList, Static

from studyllm.paths import expand_user
from studyllm.store.db import DatabaseError, StoreError
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import clean, plural

if TYPE_CHECKING:
    from studyllm.store.importer import ImportReport


class MarkdownTree(DirectoryTree):
    """Folders and ``*.md`` files only, hidden entries left out."""

    def process_label(self, label: TextType) -> Text:
        # file names are untrusted: never read them as markup ("[@click=...].md")
        if isinstance(label, str):
            label = Text(clean(label))
        return super().process_label(label)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            p for p in paths
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".md")
        ]


class ImportScreen(AppScreen[None]):
    CSS_PATH = "import_decks.tcss"
    BINDINGS = [
        Binding("f5", "preview", "Preview (dry run)"),
        Binding("f6", "run_import", "Import"),
        # "/" as in Browse (ctrl+l, which this was, is the global light/dark switch and never got here)
        Binding("slash", "focus_path", "Path", key_display="/", show=False),
        Binding("escape", "leave", "Home"),
    ]

    def __init__(self, path: str | None = None, root: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._path = path or ""
        self._root = root or os.getcwd()
        self.last_report: ImportReport | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-main"):
            tree = MarkdownTree(self._root, id="tree")
            tree.border_title = "Files"
            yield tree
            with Vertical(id="import-side"):
                yield Static("File or folder to import (*.md, recursive):", classes="hint", markup=False)
                yield Input(value=self._path, placeholder="~/notes/decks or deck.md", id="path")
                with Horizontal(id="import-buttons"):
                    yield Button("Preview (F5)", id="preview", variant="primary")
                    yield Button("Import (F6)", id="import", variant="success")
                yield ProgressBar(id="import-progress", show_eta=False)
                yield Static(id="import-file", classes="hint", markup=False)
                rewrites = SelectionList[int](id="rewrites")
                rewrites.border_title = "Possible rewrites: tick those that are the same card (Space)"
                rewrites.display = False
                yield rewrites
                with VerticalScroll(id="report-box"):
                    yield Static("Pick a file or folder, preview what would change, then import.",
                                 id="report", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Import decks"
        self.query_one("#report-box").border_title = "Report"
        self.query_one("#import-progress", ProgressBar).update(total=1, progress=0)
        self.query_one("#path", Input).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)

    @on(DirectoryTree.DirectorySelected)
    def _dir_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#path", Input).value = str(event.path)

    @on(Button.Pressed, "#preview")
    def _preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#import")
    def _import_pressed(self) -> None:
        self.action_run_import()

    @on(Input.Submitted, "#path")
    def _path_submitted(self) -> None:
        self.action_preview()

    def _target(self) -> Path | None:
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            self.notify("Type a path or pick one in the tree first.", severity="warning")
            return None
        try:
            return expand_user(raw)
        except OSError as exc:  # ~name of no user here
            self.notify(clean(f"{exc.filename}: {exc.strerror}"), severity="error")
            return None

    def action_preview(self) -> None:
        target = self._target()
        if target is not None and not self.busy:
            self._run(target, True)

    def action_run_import(self) -> None:
        target = self._target()
        if target is not None and not self.busy:
            self._run(target, False)

    def action_focus_path(self) -> None:
        self.query_one("#path", Input).focus()

    def action_leave(self) -> None:
        self.app.action_go("home")

    def _chosen_links(self) -> set[tuple[str, str]]:
        """(old uid, new uid) of the possible rewrites ticked after the preview."""
        report = self.last_report
        if report is None or not report.dry_run:
            return set()
        rewrites = [rw for d in report.decks for rw in d.rewrites]
        picked = self.query_one("#rewrites", SelectionList).selected
        return {(rewrites[i].old_uid, rewrites[i].new_uid) for i in picked if i < len(rewrites)}

    def _run(self, target: Path, dry_run: bool) -> None:
        self.busy = True
        self._links = set() if dry_run else self._chosen_links()
        self.query_one("#import-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#report", Static).update("Previewing…" if dry_run else "Importing…")
        self._work(target, dry_run)

    @work(thread=True, exclusive=True, group="import")
    def _work(self, target: Path, dry_run: bool) -> None:
        from studyllm.store.importer import RewriteReport, import_paths

        def progress(done: int, total: int, path: str) -> None:
            self.app.call_from_thread(self._progress, done, total, path)

        chosen: set[tuple[str, str]] = getattr(self, "_links", set())

        def link(rewrites: list[RewriteReport]) -> list[int]:
            return [i for i, rw in enumerate(rewrites) if (rw.old_uid, rw.new_uid) in chosen]

        try:
            report = import_paths(self.app.store, [target], dry_run=dry_run, progress=progress, link=link,
                                  track=not dry_run)
        except (StoreError, DatabaseError, OSError) as exc:  # a locked database, a full disk: show it, keep the app
            self.app.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._done, report)

    def _progress(self, done: int, total: int, path: str) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)
        self.query_one("#import-file", Static).update(
            f"{done}/{total} {clean(Path(path).name)}" if path else f"{done}/{total} files"
        )

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one("#report", Static).update(Text(clean(message), style="bold red"))
        self.notify("Import failed.", severity="error")  # details (untrusted) go in the report as Text

    def _done(self, report: ImportReport) -> None:
        self.busy = False
        self.last_report = report
        out = Text()
        out.append("Dry run: nothing was changed.\n\n" if report.dry_run else "Imported.\n\n", style="bold")
        for d in report.decks:
            name = clean(d.title or Path(d.path).name)
            style = "red" if d.errors else ""
            out.append(f"{name}", style="bold " + style)
            out.append(f"  {d.summary()}\n", style=style)
            for e in d.errors[:5]:
                out.append(f"  error: {clean(e)}\n", style="red")
            for e in d.card_errors[:5]:
                out.append(f"  skipped: {clean(e)}\n", style="red")
            if len(d.card_errors) > 5:
                out.append(f"  … {len(d.card_errors) - 5} more cards skipped\n", style="red")
            for w in d.warnings[:3]:
                out.append(f"  warning: {clean(w)}\n", style="yellow")
            for e in d.card_errors[:5]:
                out.append(f"  skipped: {clean(e)}\n", style="yellow")
            for c in d.cards[:CARD_LINES]:
                out.append(f"  {c.action:<9}", style=_ACTION_STYLE.get(c.action, ""))
                out.append(f" {clean(Path(c.path).name)}:{c.line}  {clean(c.front)}\n")
            if len(d.cards) > CARD_LINES:
                out.append(f"  … and {len(d.cards) - CARD_LINES} more (studyllm import --verbose lists all)\n",
                           style="dim")
        t = report.totals()
        out.append(
            f"\n{plural(t['files'], 'file')}: {t['new']} new, {t['unchanged']} unchanged, {t['updated']} updated, "
            f"{t['archived']} archived, {plural(t['errors'], 'error')}\n"
        )
        rewrites = [rw for d in report.decks for rw in d.rewrites]
        checklist = self.query_one("#rewrites", SelectionList)
        checklist.clear_options()
        if report.dry_run and rewrites:
            for i, rw in enumerate(rewrites):
                label = Text()
                label.append(f"{rw.score:.2f} ", style="bold")
                label.append(f"{clean(_cut(rw.old_front))} :: {clean(_cut(rw.old_back))}", style="dim")
                label.append(f"\n     → {clean(_cut(rw.new_front))} :: {clean(_cut(rw.new_back))}")
                label.append(f"  ({plural(rw.reviews, 'answer')})", style="dim")
                checklist.add_option((label, i, False))
            checklist.display = True
            out.append("Tick the possible rewrites that are the same card; F6 imports and links them.\n",
                       style="dim")
        else:
            checklist.display = False
            unlinked = [rw for rw in rewrites if not rw.linked]
            if unlinked:
                out.append(f"{plural(len(unlinked), 'possible rewrite')} not linked: `studyllm link OLD NEW` can still "
                           "link them (uids in `studyllm import --json`).\n", style="dim")
        if report.dry_run and t["files"]:
            out.append("Press F6 (Import) to apply.", style="dim")
        self.query_one("#report", Static).update(out)
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=max(t["files"], 1), progress=max(t["files"], 1))


CARD_LINES = 200  # per deck in the report; the CLI's --verbose lists them all
_ACTION_STYLE = {"new": "green", "updated": "cyan", "moved": "cyan", "archived": "yellow", "restored": "green",
                 "linked": "magenta", "moved-out": "dim"}


def _cut(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
