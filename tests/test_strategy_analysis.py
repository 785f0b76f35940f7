"""Freqtrade's own judges, offline, on every standalone strategy: lookahead and recursion."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from meta_agent.data.importer import import_data
from meta_agent.signals import list_sources
from meta_agent.strategy.discovery import standalone_strategies
from tests.freqtrade_cli import run_offline

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = standalone_strategies(PROJECT_ROOT / "strategies")
# Spans where every source has data and signals: social index ends 2021-05, news 2021-10..2022-07.
TIMERANGE = {
    "SocialSentiment": "20200101-20210601",
    "NewsAttention": "20211015-20220705",
    "TrendRegime": "20200101-20221231",  # a slow rule: three years hold enough trades
}
RECURSIVE_TOLERANCE_PCT = 1.0
# Baselines of the evaluation. The stacking model is refit on whatever history precedes each
# boundary, so a longer startup changes it by design: it is judged for lookahead only.
LOOKAHEAD = [*sorted(STRATEGIES), "EqualWeightVote", "StackingBaseline", "TrendRegime"]
RECURSIVE = [*sorted(STRATEGIES), "EqualWeightVote", "TrendRegime"]


def test_every_registered_source_has_a_standalone_strategy() -> None:
    own = [s.source_id for s in list_sources() if s.family != "wrapped"]
    assert sorted(STRATEGIES.values()) == sorted(own)


@pytest.fixture(scope="module")
def userdir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    userdir = tmp_path_factory.mktemp("analysis")
    import_data(shared_data, userdir / "data")
    return userdir


def freqtrade(userdir: Path, *args: str) -> str:
    configs = [PROJECT_ROOT / "config.json", PROJECT_ROOT / "configs" / "standalone-binance.json"]
    result = run_offline(list(args), configs, userdir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


@pytest.mark.slow
@pytest.mark.parametrize("strategy", LOOKAHEAD)
def test_no_lookahead_bias(strategy: str, userdir: Path) -> None:
    report = userdir / f"lookahead-{strategy}.csv"
    freqtrade(
        userdir,
        "lookahead-analysis",
        "--strategy",
        strategy,
        "--timerange",
        TIMERANGE.get(strategy, "20210101-20221231"),
        "--minimum-trade-amount",
        "3",
        "--targeted-trade-amount",
        "12",
        "--lookahead-analysis-exportfilename",
        str(report),
    )
    result = pd.read_csv(report)
    assert len(result) == 1, result
    assert not bool(result["has_bias"].iloc[0]), result.to_dict("records")


@pytest.mark.slow
@pytest.mark.parametrize("strategy", RECURSIVE)
def test_indicators_settle_within_the_startup(strategy: str, userdir: Path) -> None:
    output = freqtrade(
        userdir,
        "recursive-analysis",
        "--strategy",
        strategy,
        "--timerange",
        TIMERANGE.get(strategy, "20220101-20220301"),
    )
    assert "No lookahead bias on indicators found" in output, output[-3000:]
    variances = variance_at_own_startup(output)
    assert variances or "No variance on indicator(s) found" in output, output[-3000:]
    for indicator, variance in variances.items():
        assert abs(variance) <= RECURSIVE_TOLERANCE_PCT, (indicator, variance)


def variance_at_own_startup(output: str) -> dict[str, float]:
    """From recursive-analysis' table: each indicator's variance (%) in the column of the
    strategy's own startup ("N (from strategy)"); "-" (no variance) counts as 0."""
    cells = [
        [cell.strip() for cell in line.strip("┃│").split("┃" if "┃" in line else "│")]
        for line in output.splitlines()
        if line.startswith(("┃", "│"))
    ]
    header = next((row for row in cells if row and row[0] == "Indicators"), None)
    if header is None:  # Freqtrade prints no table when nothing varies
        return {}
    column = next(i for i, name in enumerate(header) if "(from strategy)" in name)
    return {
        row[0]: 0.0 if row[column] == "-" else float(row[column].rstrip("%"))
        for row in cells
        if row and row[0] != "Indicators" and len(row) > column
    }


@pytest.mark.slow
def test_a_standalone_strategy_hyperopts(userdir: Path, tmp_path: Path) -> None:
    """Hyperopt writes its best parameters beside the strategy: use a copy of the file."""
    (tmp_path / "TrendMA.py").write_text((PROJECT_ROOT / "strategies" / "TrendMA.py").read_text())
    output = freqtrade(
        userdir,
        "hyperopt",
        "--strategy",
        "TrendMA",
        "--strategy-path",
        str(tmp_path),
        "--hyperopt-loss",
        "SharpeHyperOptLossDaily",
        "--spaces",
        "buy",
        "sell",
        "--epochs",
        "3",
        "--timerange",
        "20220101-20220401",
        "-j",
        "1",
    )
    assert "Best result" in output
    assert (tmp_path / "TrendMA.json").is_file()
