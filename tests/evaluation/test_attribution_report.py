"""The global attribution report: one bar per fold and source, self-contained HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from meta_agent.evaluation.attribution_report import (
    load_global_attribution,
    write_attribution_report,
)


def model_folder(root: Path, coin: str, stamp: int, shares: dict[str, float]) -> None:
    folder = root / f"sub-train-{coin}_{stamp}"
    folder.mkdir(parents=True)
    (folder / "attribution_global.json").write_text(json.dumps(shares))


def test_reads_every_fold_and_writes_offline_html(tmp_path: Path) -> None:
    model_folder(tmp_path, "BTC", 1664582400, {"trend-v1": 0.7, "context": 0.2, "position": 0.1})
    model_folder(tmp_path, "BTC", 1667174400, {"trend-v1": 0.4, "context": 0.5, "position": 0.1})
    model_folder(tmp_path, "ETH", 1664582400, {"trend-v1": 0.1, "context": 0.8, "position": 0.1})
    table = load_global_attribution(tmp_path)
    assert list(table["coin"]) == ["BTC", "BTC", "ETH"]
    assert str(table["trained_until"].iloc[1].date()) == "2022-10-31"
    out = write_attribution_report(tmp_path, tmp_path / "report" / "attribution.html")
    html = out.read_text()
    assert "trained until 2022-10-31" in html and "trend-v1" in html
    # plotly.js is inlined: nothing is loaded from the network when the file is opened.
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", html)
    assert len(html) > 1_000_000


def test_no_models_says_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"meta_rl\.attribution"):
        load_global_attribution(tmp_path)


def test_replays_the_lines_a_live_bot_would_have_sent(tmp_path: Path) -> None:
    import pandas as pd

    from meta_agent.evaluation.attribution_report import decision_lines

    folder = tmp_path / "backtesting_predictions"
    folder.mkdir()
    pd.DataFrame(
        {
            "date": pd.date_range("2022-10-01", periods=3, freq="1h", tz="UTC"),
            "&-action": [0.0, 0.0, 0.5],
            "%%-attr_trend-v1": [0.0, 0.0, 0.3],
            "%%-attr_context": [0.0, 0.0, 0.1],
        }
    ).to_feather(folder / "cb_btc_1664582400_prediction.feather")
    assert decision_lines(tmp_path) == [
        "2022-10-01 02:00 MetaRL BTC: exposure 0 → 0.5 | trend-v1 +75%"
    ]


def test_the_command_writes_under_user_data_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from meta_agent.cli import main

    models = tmp_path / "models" / "metarl-1234abcd"
    model_folder(models, "BTC", 1664582400, {"trend-v1": 0.7, "context": 0.2, "position": 0.1})
    monkeypatch.chdir(tmp_path)  # the checkout's root, where a user runs it
    assert main(["report", "attribution", "--models", str(models)]) == 0
    default = Path("user_data/reports/attribution.html")
    assert (tmp_path / default).is_file() and not (tmp_path / "attribution.html").exists()
    assert f"wrote {default}" in capsys.readouterr().out
    assert main(["report", "attribution", "--models", str(models), "--out", "x/a.html"]) == 0
    assert (tmp_path / "x" / "a.html").is_file()
