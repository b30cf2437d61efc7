"""A rich progress bar over pages and documents, with ETA, for people watching a long batch."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipeline.batch.run import ProgressListener
from pipeline.record import DocumentResult, Status


class RichProgress(ProgressListener):
    """Two bars: pages OCR'd and documents finished or skipped (failed ones are counted in red)."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.failed = 0

    def start(self, n_files: int) -> None:
        self.progress.start()
        # Page counts are learned as files are inspected, so the page total grows during the run.
        self.pages = self.progress.add_task("pages", total=0)
        self.documents = self.progress.add_task("documents", total=n_files)

    def add_pages(self, n_pages: int) -> None:
        total = self.progress.tasks[self.pages].total or 0
        self.progress.update(self.pages, total=total + n_pages)

    def page_done(self) -> None:
        self.progress.advance(self.pages)

    def document_skipped(self) -> None:
        self.progress.advance(self.documents)

    def document_done(self, doc: DocumentResult) -> None:
        if doc.status is not Status.OK:
            self.failed += 1
            self.progress.update(self.documents, description=f"documents [red]({self.failed} failed)[/red]")
        self.progress.advance(self.documents)

    def finish(self) -> None:
        self.progress.stop()
