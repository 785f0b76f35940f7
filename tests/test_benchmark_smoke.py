"""The speed benchmark still runs and reports every figure (it measures; it asserts nothing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmark_runs_and_reports_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/rl_speed.py", "--candles", "800", "--train-steps", "512"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for label in ("speed-up (stock / MetaRL)", "ratio (ExposureEnv / stock)", "live decision"):
        assert label in result.stdout
