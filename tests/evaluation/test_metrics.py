"""Evaluation metrics against hand-computed examples, and against Freqtrade's own balance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from meta_agent.evaluation.metrics import (
    METRICS,
    Fill,
    compute_metrics,
    equity_curve,
    fee_share,
    portfolio_curve,
    profit_factor,
    time_under_water,
    window,
)

T0 = pd.Timestamp("2022-01-01", tz="UTC")


def hours(n: int) -> pd.DatetimeIndex:
    return pd.date_range(T0, periods=n, freq="1h")


def test_equity_curve_by_hand() -> None:
    close = pd.Series([100.0, 110.0, 121.0, 110.0], index=hours(4))
    fills = [
        Fill(T0, +1, 1.0, 100.0, 0.01),  # buy 1 at 100, fee 1: cash 899
        Fill(T0 + pd.Timedelta("2h"), -1, 1.0, 121.0, 0.01),  # sell at 121, fee 1.21
    ]
    curve = equity_curve(close, fills, 1000.0)
    np.testing.assert_allclose(curve["equity"], [999.0, 1009.0, 1018.79, 1018.79])
    np.testing.assert_allclose(curve["exposure"].iloc[:2], [100 / 999, 110 / 1009])
    assert curve["in_market"].tolist() == [True, True, False, False]


def test_portfolio_curve_shares_one_wallet_and_marks_each_pair_at_its_close() -> None:
    btc = pd.Series([100.0, 110.0, 120.0], index=hours(3))
    sol = pd.Series([10.0, 5.0], index=hours(3)[[0, 2]])  # no candle at 01:00
    fills = {
        "BTC": [Fill(T0, +1, 2.0, 100.0, 0.0)],  # 200 of the 1000
        "SOL": [Fill(T0, +1, 10.0, 10.0, 0.01)],  # 100, fee 1
    }
    curve = portfolio_curve({"BTC": btc, "SOL": sol}, fills, 1000.0)
    # 00:00: 699 cash + 200 + 100; 01:00: SOL held at its last close (10); 02:00: SOL at 5.
    np.testing.assert_allclose(curve["equity"], [999.0, 1019.0, 989.0])
    np.testing.assert_allclose(curve["exposure"], [300 / 999, 320 / 1019, 290 / 989])
    assert curve["in_market"].all()
    alone = equity_curve(btc, fills["BTC"], 1000.0)
    np.testing.assert_allclose(portfolio_curve({"BTC": btc}, fills, 1000.0)["equity"],
                               alone["equity"])  # fmt: skip


def test_short_positions_gain_when_price_falls() -> None:
    close = pd.Series([100.0, 90.0], index=hours(2))
    curve = equity_curve(close, [Fill(T0, -1, 2.0, 100.0, 0.0)], 1000.0)
    np.testing.assert_allclose(curve["equity"], [1000.0, 1020.0])


def test_time_under_water_profit_factor_fee_share_by_hand() -> None:
    assert time_under_water(pd.Series([100, 90, 95, 100, 110, 105.0])) == pytest.approx(3 / 6)
    assert profit_factor(pd.Series([10.0, -5.0, 20.0, -5.0])) == pytest.approx(3.0)
    assert profit_factor(pd.Series([10.0])) == math.inf
    trades = pd.DataFrame({"profit_abs": [8.0, -3.0], "fees": [2.0, 1.0]})
    # gross before fees: 10 and -2 -> 10 won before fees; 3 paid in fees
    assert fee_share(trades) == pytest.approx(0.3)


def test_total_return_and_cagr_by_hand() -> None:
    dates = pd.date_range(T0, periods=731, freq="1D")
    equity = 1000 * 1.21 ** (np.arange(731) / 730)
    curve = pd.DataFrame({"date": dates, "equity": equity, "exposure": 1.0, "in_market": True})
    trades = pd.DataFrame({"close_date": [dates[-1]], "profit_abs": [210.0], "fees": [0.0]})
    result = compute_metrics(curve, trades)
    assert set(result) == set(METRICS)
    assert result["total_return"] == pytest.approx(0.21)
    assert result["cagr"] == pytest.approx(0.10, abs=1e-3)
    assert result["max_drawdown"] == 0.0 and result["time_under_water"] == 0.0
    assert result["win_rate"] == 1.0 and result["trades"] == 1


def test_window_rebases_on_its_own_candles() -> None:
    dates = pd.date_range(T0, periods=4, freq="1D")
    curve = pd.DataFrame(
        {"date": dates, "equity": [100.0, 200.0, 100.0, 150.0], "exposure": 0.0, "in_market": False}
    )
    trades = pd.DataFrame({"close_date": [dates[3]], "profit_abs": [50.0], "fees": [0.0]})
    part = window(curve, trades, "2022-01-02", "2022-01-05")
    assert part["total_return"] == pytest.approx(-0.25)
    assert part["max_drawdown"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="fewer than two candles"):
        window(curve, trades, "2023-01-01", "2023-02-01")
