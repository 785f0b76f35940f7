"""Task progress: a bar on a terminal, one line per finished task anywhere else."""

from __future__ import annotations

import io
import re

from rich.console import Console

from meta_agent.progress import TaskProgress


def show_three_tasks(console: Console) -> None:
    with TaskProgress(console, "backtests", verb="backtesting") as progress:
        progress.set_total(3)
        progress.running(["A on BTC/USDT", "B on BTC/USDT"])
        progress.finished("B on BTC/USDT")
        progress.running(["A on BTC/USDT", "C on BTC/USDT"])
        progress.finished("A on BTC/USDT")
        progress.finished("C on BTC/USDT")
        progress.running([])


def test_a_file_gets_one_line_per_finished_task_with_its_count() -> None:
    output = io.StringIO()
    show_three_tasks(Console(file=output))
    lines = output.getvalue().splitlines()
    assert [line.split(" done in ")[0] for line in lines] == [
        "1/3 B on BTC/USDT",
        "2/3 A on BTC/USDT",
        "3/3 C on BTC/USDT",
    ]
    assert all(re.fullmatch(r".* done in \d+\.\d s", line) for line in lines)


def test_a_terminal_gets_the_bar_and_no_lines() -> None:
    output = io.StringIO()
    show_three_tasks(Console(file=output, force_terminal=True, width=120))
    assert " done in " not in output.getvalue()
    assert "backtests done" in output.getvalue() and "3/3" in output.getvalue()
