"""The validation gate's record in ``evaluate``: windows opened, and of those, how many beat the
book on the window they traded.

The pooled design (``meta_rl.base: "book"``) saves one ``gate.json`` per walk-forward window
under ``<user_data>/models/<identifier>/pooled-<settings>/<YYYYMMDD>/`` (the window's first
day). Each window is one of the evaluation's folds, so the record pairs a window's gate with
MetaRL's and TrendBook's return on that fold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from meta_agent.evaluation.plan import Plan

BOOK = "TrendBook"


def gate_record(plan: Plan, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``{"windows", "opened", "opened_beat_book", "per_window": [...]}``, or None when the
    evaluation has no pooled MetaRL windows."""
    root = Path(plan.config.get("user_data_dir", "user_data")) / "models" / plan.identifier
    gates = {path.parent.name: json.loads(path.read_text())
             for path in sorted(root.glob("pooled-*/*/gate.json"))}  # fmt: skip
    if "MetaRL" not in plan.strategies or not gates:
        return None
    unit = "portfolio" if plan.portfolio else None
    folds: dict[str, dict[str, list[float]]] = {}
    for record in records:
        if record["period"].startswith("fold-") and (unit is None or record["pair"] == unit):
            by_strategy = folds.setdefault(record["start"].replace("-", ""), {})
            by_strategy.setdefault(record["strategy"], []).append(record["total_return"])
    per_window = []
    for day, saved in gates.items():
        returns = folds.get(day, {})
        per_window.append({
            "window": day, "opened": bool(saved["agent_trades"]),
            "lower_bound": saved["gate"]["lower_bound"],
            "metarl_return": _mean(returns.get("MetaRL")), "book_return": _mean(returns.get(BOOK)),
        })  # fmt: skip
    opened = [w for w in per_window if w["opened"]]
    compared = [w for w in opened if None not in (w["metarl_return"], w["book_return"])]
    return {
        "windows": len(per_window),
        "opened": len(opened),
        "opened_beat_book": sum(w["metarl_return"] > w["book_return"] for w in compared),
        "opened_compared": len(compared),
        "per_window": per_window,
    }


def _mean(values: list[float] | None) -> float | None:
    """The mean over pairs of a fold's return (one value in a portfolio), None without one."""
    return sum(values) / len(values) if values else None
