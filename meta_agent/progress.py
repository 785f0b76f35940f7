"""Progress of a run's named tasks: a live bar on a terminal, one plain line per task otherwise.

A rich bar writes nothing into a file until it stops, so ``evaluate`` and ``train`` with their
output in a file (CI, ``nohup``) would be silent for minutes. There each finished task prints
one line instead, e.g. ``3/12 TrendMA on BTC/USDT done in 41.2 s``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

#: Running tasks named on the bar; the rest are counted ("+2 more").
NAMED_ON_BAR = 3


class TaskProgress:
    """Tasks of one run by name: call :meth:`running` whenever the running set changes and
    :meth:`finished` as each one ends. A task's seconds count from its first :meth:`running`.

    Args:
        console: A terminal gets the bar; anything else (a file, a pipe) the lines.
        what: The tasks, plural, e.g. ``"backtests"``: the bar's text before and after.
        total: Tasks in all, if known now (else :meth:`set_total` before the first finishes).
        verb: Put before the running tasks' names on the bar, e.g. ``"backtesting"``.
    """

    def __init__(self, console: Console, what: str, total: int | None = None, verb: str = ""):
        self.console = console
        self.what = what
        self.total = total
        self.verb = verb
        self.done = 0
        self._started: dict[str, float] = {}
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> TaskProgress:
        if self.console.is_terminal:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            self._bar = Progress(*columns, TimeElapsedColumn(), console=self.console)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def set_total(self, total: int) -> None:
        """The number of tasks in all, once it is known."""
        self.total = total
        self._update(total=total)

    def running(self, names: Sequence[str]) -> None:
        """The tasks running now; a name seen for the first time starts its clock."""
        now = time.monotonic()
        for name in names:
            self._started.setdefault(name, now)
        more = f" +{len(names) - NAMED_ON_BAR} more" if len(names) > NAMED_ON_BAR else ""
        shown = ", ".join(names[:NAMED_ON_BAR])
        text = f"{self.verb} {shown}".strip() + more if names else f"{self.what} done"
        self._update(description=text)

    def finished(self, name: str) -> None:
        """One task ended: the bar advances, or one line names it with its seconds and count."""
        seconds = time.monotonic() - self._started.pop(name, time.monotonic())
        self.done += 1
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)
            return
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        line = f"{count} {name} done in {seconds:.1f} s"
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def _update(self, description: str | None = None, total: int | None = None) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=description, total=total)
