"""Import: pick a file or folder, preview the report (dry run), then import with progress.

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
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, ProgressBar, Static

from studyllm.store.db import DatabaseError, StoreError
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import clean

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
        Binding("ctrl+l", "focus_path", "Path", show=False),
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
        return Path(raw).expanduser()

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

    def _run(self, target: Path, dry_run: bool) -> None:
        self.busy = True
        self.query_one("#import-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#report", Static).update("Previewing…" if dry_run else "Importing…")
        self._work(target, dry_run)

    @work(thread=True, exclusive=True, group="import")
    def _work(self, target: Path, dry_run: bool) -> None:
        from studyllm.store.importer import import_paths

        def progress(done: int, total: int, path: str) -> None:
            self.app.call_from_thread(self._progress, done, total, path)

        try:
            report = import_paths(self.app.store, [target], dry_run=dry_run, progress=progress)
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
            for w in d.warnings[:3]:
                out.append(f"  warning: {clean(w)}\n", style="yellow")
        t = report.totals()
        out.append(
            f"\n{t['files']} file(s): {t['new']} new, {t['unchanged']} unchanged, {t['updated']} updated, "
            f"{t['archived']} archived, {t['errors']} error(s)\n"
        )
        if report.dry_run and t["files"]:
            out.append("Press F6 (Import) to apply.", style="dim")
        self.query_one("#report", Static).update(out)
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=max(t["files"], 1), progress=max(t["files"], 1))
