"""The gate's record in ``evaluate``: windows opened, and of those how many beat the book."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from meta_agent.evaluation.gate_record import gate_record


def saved_window(root: Path, day: str, opened: bool, bound: float) -> None:
    folder = root / "pooled-abcd1234" / day
    folder.mkdir(parents=True)
    record = {"agent_trades": opened, "gate": {"lower_bound": bound}}
    (folder / "gate.json").write_text(json.dumps(record))


def fold(strategy: str, start: str, total_return: float) -> dict:
    return {"strategy": strategy, "pair": "portfolio", "period": "fold-x", "start": start,
            "total_return": total_return}  # fmt: skip


def test_opened_windows_are_judged_on_the_window_they_traded(tmp_path: Path) -> None:
    plan = SimpleNamespace(config={"user_data_dir": str(tmp_path)}, identifier="metarl-eval-1",
                           strategies=["MetaRL", "TrendBook"], portfolio=True)  # fmt: skip
    root = tmp_path / "models" / "metarl-eval-1"
    saved_window(root, "20210101", True, 1e-4)
    saved_window(root, "20210401", True, 2e-4)
    saved_window(root, "20210630", False, -3e-4)
    records = [
        fold("MetaRL", "2021-01-01", 0.05), fold("TrendBook", "2021-01-01", 0.04),
        fold("MetaRL", "2021-04-01", 0.01), fold("TrendBook", "2021-04-01", 0.02),
        fold("MetaRL", "2021-06-30", 0.03), fold("TrendBook", "2021-06-30", 0.03),
        {**fold("MetaRL", "2021-01-01", 0.0), "period": "whole"},
    ]  # fmt: skip
    record = gate_record(plan, records)  # type: ignore[arg-type]
    assert record is not None
    assert (record["windows"], record["opened"], record["opened_beat_book"]) == (3, 2, 1)
    assert record["per_window"][0] == {
        "window": "20210101", "opened": True, "lower_bound": 1e-4,
        "metarl_return": 0.05, "book_return": 0.04,
    }  # fmt: skip
    assert gate_record(SimpleNamespace(**{**vars(plan), "identifier": "other"}), records) is None  # type: ignore[arg-type]
