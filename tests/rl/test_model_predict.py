"""MetaRLModel.predict called as FreqAI calls it: a backtest window equals the live sequence.

Live, FreqAI first predicts the whole history, then one new candle per call (``CONV_WIDTH``
= 1), and may hand the same candle over again. The model's real ``predict`` is driven here with
a stand-in for FreqAI's data kitchen that passes features through unchanged.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from meta_agent.config import MetaRLConfig
from meta_agent.rl.contract import ObservationContract
from meta_agent.rl.model import CONTRACT_KEY, MetaRLModelBase
from meta_agent.rl.risk import RiskView
from tests.rl.test_rollout import briefly_trained
from tests.rl.worlds import LEVELS, foretelling_world

FEATURES = ["%-oracle", "%-noise"]


def candles(n: int = 150) -> pd.DataFrame:
    features, prices = foretelling_world(seed=21, n=n)
    frame = pd.DataFrame(features, columns=FEATURES)
    frame["close"] = prices
    frame["date"] = pd.date_range("2023-01-01", periods=n, freq="1h", tz="UTC")
    return frame


def fresh_model(trained) -> MetaRLModelBase:
    """A MetaRLModel with its trained agent, without FreqAI's start-up machinery."""
    model = MetaRLModelBase.__new__(MetaRLModelBase)
    model.model = trained
    model.meta_config = MetaRLConfig.from_freqtrade({})
    model.levels = LEVELS
    model.mask = np.ones(len(LEVELS), bool)
    model.agent_state = {}
    model.risk_view = None
    model.config = {"fee": 0.004}
    model.rl_config = {"drop_ohlc_from_features": False}
    return model


def kitchen(rows: int) -> SimpleNamespace:
    contract = ObservationContract(("trend-v1",), tuple(FEATURES), tuple(LEVELS))
    return SimpleNamespace(
        pair="BTC/USD",
        training_features_list=list(FEATURES),
        label_list=["&-action"],
        data={CONTRACT_KEY: contract.to_dict()},
        do_predict=np.ones(rows, dtype=int),
        find_features=lambda frame: None,
        filter_features=lambda frame, names, training_filter: (frame[names].copy(), None),
        feature_pipeline=SimpleNamespace(transform=lambda frame, outlier_check: (frame, 0, 0)),
    )


def test_backtest_window_equals_live_calls() -> None:
    trained = briefly_trained("PPO")
    frame = candles()
    backtest = fresh_model(trained)
    window, _ = backtest.predict(frame, kitchen(len(frame)))

    live = fresh_model(trained)
    history, _ = live.predict(frame.iloc[:50], kitchen(50))  # first call: the whole history
    decisions = list(history["&-action"])
    for t in range(50, len(frame)):
        latest = frame.iloc[t : t + 1]
        pred, _ = live.predict(latest, kitchen(1))
        again, _ = live.predict(latest, kitchen(1))  # the same candle handed over twice
        assert again["&-action"].iloc[0] == pred["&-action"].iloc[0]
        decisions.append(pred["&-action"].iloc[0])
    np.testing.assert_array_equal(window["&-action"].to_numpy(), np.array(decisions))
    # The state carried forward is the same too: no candle was counted twice.
    assert live.agent_state["BTC/USD"].position == backtest.agent_state["BTC/USD"].position


def test_live_risk_view_masks_the_newest_decision() -> None:
    """Under a global lock (daily loss cap, protection) a flat agent may only stay flat."""
    trained = briefly_trained("PPO")
    frame = candles()
    free = fresh_model(trained)
    unlocked, _ = free.predict(frame, kitchen(len(frame)))
    wanted = unlocked["&-action"].to_numpy()
    assert (wanted > 0).any(), "the test needs an agent that wants exposure somewhere"
    t = int(np.flatnonzero(wanted > 0)[0])

    locked = fresh_model(trained)
    before, _ = locked.predict(frame.iloc[:t], kitchen(t))
    np.testing.assert_array_equal(before["&-action"].to_numpy(), wanted[:t])
    locked.set_risk_view(RiskView({}, slots=1, locked=frozenset({"*"})))
    newest, _ = locked.predict(frame.iloc[t : t + 1], kitchen(1))
    assert newest["&-action"].iloc[0] == 0.0
    assert locked.agent_state["BTC/USD"].position.exposure == 0.0
