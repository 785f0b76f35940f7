"""``evaluate --datadir``: the sources read their external and futures data beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meta_agent.evaluation.plan import EvaluationInputError, Plan, make_plan

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def plan_for(imported: Path, folder: Path, *extra: dict) -> Plan:
    """A plan on the import's Binance candles, with ``user_data_dir`` an empty folder (where
    the sources would look without ``--datadir``)."""
    configs = [PROJECT_ROOT / "config.json"]
    for index, config in enumerate([{"user_data_dir": str(folder / "user_data")}, *extra]):
        path = folder / f"extra-{index}.json"
        path.write_text(json.dumps(config))
        configs.append(path)
    return make_plan(
        configs=configs,
        datadir=imported / "binance",
        pairs=["BTC/USDT"],
        timerange="20221101-20221201",
        out=folder / "out",
        exchange="binance",
        strategies=["MetaRL", "EqualWeightVote"],
        fee=0.001,
    )


def test_sources_read_the_data_beside_the_datadir(imported: Path, tmp_path: Path) -> None:
    # config.json's sources include funding-v1 and basis-v1: their futures data is only in the
    # import (beside --datadir), not under the config's user_data_dir.
    plan = plan_for(imported, tmp_path)
    assert plan.feed_root == imported.absolute()
    for strategy in ("MetaRL", "EqualWeightVote", "BuyAndHold"):
        overrides = plan.overrides("BTC/USDT", strategy)
        assert overrides["meta_rl"] == {"data_root": str(imported.absolute())}


def test_an_explicit_data_root_wins_over_the_datadir(imported: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(EvaluationInputError, match="need futures data") as err:
        plan_for(imported, tmp_path, {"meta_rl": {"data_root": str(elsewhere)}})
    assert str(elsewhere / "binance" / "futures") in str(err.value)
    plan = plan_for(imported, tmp_path, {"meta_rl": {"data_root": str(imported)}})
    assert plan.overrides("BTC/USDT")["meta_rl"] == {"data_root": str(imported)}
