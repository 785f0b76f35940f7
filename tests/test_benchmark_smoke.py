"""`make bench` still runs and reports every stage (it measures; it asserts nothing on speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STAGES = {
    "signals",
    "training_learn",
    "training_env",
    "training_pooled",
    "inference_batch",
    "inference_live",
    "inference_live_attribution",
    "end_to_end",
    "end_to_end_parallel",
    "training_scaling",
    "ray_overhead",
}


@pytest.mark.slow
def test_bench_runs_every_stage_against_its_reference(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--quick", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "METARL_BENCH_DATADIR": str(imported)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    document = json.loads(out.read_text())
    assert set(document["stages"]) == STAGES
    for name, stage in document["stages"].items():
        assert stage["metarl"], name
        if stage["reference"] is not None:  # attribution and Ray's cost have none
            assert stage["ratio"] > 0, name
    assert document["machine"]["cpus"] >= 1
    assert "ratio" in result.stdout.splitlines()[2]
