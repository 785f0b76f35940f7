"""The portfolio engine on tiny worlds: the vectorised residual environment, the daily broker,
the bootstrap gate, a pooled agent that learns a residual the book misses, and the panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from meta_agent.rl.portfolio.agent import (
    Scaler,
    TrainSettings,
    bootstrap_lower_bound,
    decide,
    train_member,
)
from meta_agent.rl.portfolio.panel import build_panel
from meta_agent.rl.portfolio.simulate import simulate
from meta_agent.rl.portfolio.vec_env import MULTIPLIERS, ResidualVecEnv

FOLLOW = MULTIPLIERS.index(1.0)


def world(days: int = 400, coins: int = 3, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Coins whose next-day move is +2 % or -2 %, announced by feature 0 the day before; the
    book holds a constant 0.4 of each coin's budget, blind to it."""
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], size=(days, coins))
    close = 100 * np.cumprod(np.vstack([np.ones(coins), 1 + 0.02 * sign[:-1]]), axis=0)
    features = np.zeros((days, coins, 2))
    features[:, :, 0] = sign  # tomorrow's direction, known today
    features[:, :, 1] = rng.normal(size=(days, coins))  # noise
    weight = np.full((days, coins), 0.4)
    return features, close, weight


def test_following_the_book_earns_exactly_nothing_and_episodes_restart() -> None:
    features, close, weight = world()
    env = ResidualVecEnv(features, close, weight, n_envs=4, episode_length=10, seed=1)
    observation = env.reset()
    assert observation.shape == (4, 2 + 3) and env.action_space.n == len(MULTIPLIERS)
    finished = 0
    for _ in range(25):
        env.step_async(np.full(4, FOLLOW))
        observation, rewards, dones, infos = env.step_wait()
        np.testing.assert_allclose(rewards, 0.0, atol=1e-6)
        finished += int(dones.sum())
        for done, info in zip(dones, infos, strict=True):
            assert ("terminal_observation" in info) == bool(done)
    assert finished == 8  # 4 envs x 2 episodes of 10 steps in 25 steps


def test_stepping_out_of_a_rising_coin_costs_against_the_book() -> None:
    close = np.column_stack([100 * 1.01 ** np.arange(50)])
    env = ResidualVecEnv(np.zeros((50, 1, 1)), close, np.full((50, 1), 0.5), n_envs=1,
                         episode_length=20, turnover_penalty=0.0)  # fmt: skip
    env.reset()
    env.step_async(np.array([MULTIPLIERS.index(0.0)]))
    _, reward, _, _ = env.step_wait()
    # The book earns 0.5 x 1 % less its entry fee; flat earns nothing: in volatility units.
    expected = -(0.5 * 0.01 - 0.004 * 0.5) / (0.25 / np.sqrt(365))
    assert reward[0] == pytest.approx(expected, rel=1e-4)


def test_no_valid_episode_is_an_error_that_says_what_to_change() -> None:
    features, close, weight = world(days=50)
    with pytest.raises(ValueError, match="121 consecutive days"):
        ResidualVecEnv(features, close, weight, episode_length=120)


def test_the_broker_holds_one_nth_per_coin_keeps_the_band_and_pays_fees() -> None:
    dates = pd.date_range("2022-01-01", periods=3, freq="1D", tz="UTC")
    close = np.array([[100.0, 10.0], [110.0, 10.0], [121.0, 10.0]])
    targets = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    result = simulate(dates, close, targets, fee=0.01, band=0.2)
    # Day 0: half the wallet in coin 0 (fee 0.005); day 1 it is worth 0.55 of equity 1.045,
    # within 20 % of its target 0.5225: kept; day 2 sold at 0.605 (fee 0.00605).
    np.testing.assert_allclose(result.equity, [0.995, 1.045, 1.09395])
    assert result.fees == pytest.approx(0.005 + 0.00605)
    assert result.entries == pytest.approx(1 / 2 / (3 / 365))


def test_the_gate_bound_separates_a_steady_advantage_from_noise() -> None:
    rng = np.random.default_rng(3)
    assert bootstrap_lower_bound(0.001 + 0.0005 * rng.normal(size=200)) > 0
    assert bootstrap_lower_bound(0.002 * rng.normal(size=200)) < 0
    assert bootstrap_lower_bound(np.ones(5)) == float("-inf")  # too short to judge


def test_a_pooled_agent_learns_the_residual_the_book_misses() -> None:
    features, close, weight = world(days=500, coins=4)
    scaler = Scaler.fit(features[:400])
    settings = TrainSettings(steps=12_000, n_envs=8, episode_length=50, n_steps=128,
                             batch_size=256, turnover_penalty=0.0, band=0.0)  # fmt: skip
    model = train_member(scaler(features[:400]), close[:400], weight[:400], settings, seed=0)
    held_out = slice(400, 500)
    targets = decide([model], scaler(features[held_out]), weight[held_out], close[held_out], 0.0)
    dates = pd.date_range("2022-01-01", periods=100, freq="1D", tz="UTC")
    agent = simulate(dates, close[held_out], targets, fee=0.004, band=0.0)
    book = simulate(dates, close[held_out], weight[held_out], fee=0.004, band=0.0)
    assert agent.total_return() > book.total_return() + 0.05
    # It scales up before rises and out before falls (feature 0 is tomorrow's sign).
    up = features[held_out][:, :, 0] > 0
    assert np.nanmean(targets[up]) > np.nanmean(targets[~up])


def test_the_panel_uses_no_later_day_and_lists_coins_when_their_book_exists(
    imported: Path, tmp_path: Path
) -> None:
    pairs = ["BTC/USDT", "SOL/USDT"]
    for pair in pairs:
        name = f"{pair.replace('/', '_')}-1d.feather"
        (tmp_path / name).write_bytes((imported / "binance" / name).read_bytes())
    before = build_panel(tmp_path, pairs)
    day = pd.Timestamp("2022-06-01", tz="UTC")
    shocked = pd.read_feather(tmp_path / "BTC_USDT-1d.feather")
    shocked.loc[shocked["date"] >= day, ["high", "low", "close"]] *= 2
    shocked.to_feather(tmp_path / "BTC_USDT-1d.feather")
    after = build_panel(tmp_path, pairs)
    earlier = before.dates < day
    np.testing.assert_array_equal(before.features[earlier], after.features[earlier])
    np.testing.assert_array_equal(before.weight[earlier], after.weight[earlier])
    # SOL's context reads BTC: it changes from the shock on, its own book does not.
    assert not np.array_equal(before.features[~earlier, 1], after.features[~earlier, 1])
    np.testing.assert_array_equal(before.weight[:, 1], after.weight[:, 1])
    sol_first = pd.Timestamp("2020-08-11", tz="UTC")
    assert np.isnan(before.weight[before.dates <= sol_first, 1]).all()
    assert np.isfinite(before.weight[before.dates >= "2021-01-01", 1]).all()
