"""One pooled agent ensemble per walk-forward window, trained once for every traded pair.

FreqAI trains a model per pair and window; the pooled design trains one ensemble per window on
the whole training universe. :func:`window_ensemble` is what every pair's training calls: the
first call of a window trains the seeds on the panel's days before the window's end and runs the
gate, saving members, scaler and gate record under one folder of the window's end day; every
later call (the other pairs, a re-run, a live bot restarting the same day) loads that folder.

The panel comes from the training universe's daily candles on the reference exchange
(``<data root>/<reference exchange>/<COIN>_<quote>-1d.feather``, as ``data import`` writes them):
a traded pair (``BTC/USD`` on Kraken) is the coin of its base currency in the panel.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from stable_baselines3 import PPO

from meta_agent.data.importer import pair_filename
from meta_agent.rl.portfolio.agent import (
    Scaler,
    TrainSettings,
    decide,
    decide_multipliers,
    gate_record,
    train_member,
)
from meta_agent.rl.portfolio.panel import BOOK_FEATURES, CONTEXT_FEATURES, Panel, build_panel
from meta_agent.rl.portfolio.settings import PooledConfig
from meta_agent.signals.trend_book import TrendBookConfig

logger = logging.getLogger(__name__)
VALIDATION_SHARE = 0.2
#: Days decided before the first requested one, so the position block starts as it is held.
WARM_DAYS = 30
GATE_FILE = "gate.json"


@dataclass(frozen=True)
class WindowEnsemble:
    """A trained window: where its members are, its scaler and the gate's decision."""

    folder: str
    members: int
    mean: list[float]
    std: list[float]
    agent_trades: bool
    gate: dict[str, Any]

    def scaler(self) -> Scaler:
        return Scaler(np.asarray(self.mean), np.asarray(self.std))

    def models(self) -> list[PPO]:
        return [_load(str(Path(self.folder) / f"member{i}.zip")) for i in range(self.members)]


@cache
def _load(path: str) -> PPO:
    return PPO.load(path, device="cpu")


def panel_for(root: Path, config: PooledConfig, book: TrendBookConfig) -> Panel:
    """The training universe's panel from the daily candles under ``root`` (coins without a
    file are left out, with one log line)."""
    pairs = [f"{coin}/{config.quote}" for coin in config.coins]
    present = [pair for pair in pairs if (root / pair_filename(pair, "1d")).is_file()]
    if not present:
        raise FileNotFoundError(
            f"No daily candles of the training universe under {root} (looked for "
            f"{pair_filename(pairs[0], '1d')}, ...). Run `python -m meta_agent data import`."
        )
    if len(present) < len(pairs):
        logger.info("Pooled training universe without %s (no daily candles under %s).",
                    sorted(set(pairs) - set(present)), root)  # fmt: skip
    panel = build_panel(root, present, book)
    return panel.select(BOOK_FEATURES + CONTEXT_FEATURES)


def settings_key(config: PooledConfig, book: TrendBookConfig, seeds: int, gated: bool,
                 fee: float) -> str:  # fmt: skip
    """Eight hex digits naming everything a window's training depends on besides its data."""
    text = json.dumps([config.model_dump(), book.model_dump(), seeds, gated, fee], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def window_ensemble(
    panel: Panel, end_day: pd.Timestamp, folder: Path, traded: list[int], seeds: int,
    gated: bool, config: PooledConfig, book: TrendBookConfig, fee: float, train_days: int,
) -> WindowEnsemble:  # fmt: skip
    """The window ending at ``end_day`` (its training uses the days before it): loaded from
    ``folder`` if it was trained, else trained and gated on the coins ``traded`` now."""
    record = folder / GATE_FILE
    if record.is_file():
        return WindowEnsemble(**json.loads(record.read_text()))
    rows = panel.rows(end_day - pd.Timedelta(days=train_days), end_day)
    cut = int(len(rows) * (1 - VALIDATION_SHARE))
    fit, validation = rows[:cut], rows[cut:]
    scaler = Scaler.fit(panel.features[fit])
    settings = TrainSettings(steps=config.steps, turnover_penalty=config.turnover_penalty,
                             fee=fee, band=book.band)  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    members = []
    for seed in range(seeds):
        model = train_member(scaler(panel.features[fit]), panel.close[fit], panel.weight[fit],
                             settings, seed)  # fmt: skip
        model.save(folder / f"member{seed}.zip")
        members.append(model)
    agent = decide(members, scaler(panel.features[validation]), panel.weight[validation],
                   panel.close[validation], book.band)[:, traded]  # fmt: skip
    gate = gate_record(panel.dates[validation], panel.close[validation][:, traded], agent,
                       panel.weight[validation][:, traded], fee, book.band)  # fmt: skip
    bound = gate["lower_bound"]
    gate.update(end=f"{end_day:%Y-%m-%d}", traded=[panel.coins[i] for i in traded])
    trained = WindowEnsemble(str(folder), seeds, scaler.mean.tolist(), scaler.std.tolist(),
                             bound > 0 or not gated, gate)  # fmt: skip
    record.write_text(json.dumps(asdict(trained), indent=1))
    logger.info("Pooled window ending %s: %d seeds on %d coins; validation gate %s (lower bound "
                "of the daily advantage over the book %.2e).", gate["end"], seeds,
                len(panel.coins), "open" if trained.agent_trades else "closed: the book trades",
                bound)  # fmt: skip
    return trained


def multipliers(
    panel: Panel, ensemble: WindowEnsemble, coin: int, days: pd.DatetimeIndex, band: float
) -> pd.Series:
    """The ensemble's multiplier of ``coin``'s book weight on each of ``days`` (1 where the gate
    closed or the panel has no value for the day), decided from ``WARM_DAYS`` before."""
    if not ensemble.agent_trades or not len(days):
        return pd.Series(1.0, index=days)
    rows = panel.rows(days.min() - pd.Timedelta(days=WARM_DAYS), days.max() + pd.Timedelta(days=1))
    chosen = decide_multipliers(
        ensemble.models(), ensemble.scaler()(panel.features[rows][:, [coin]]),
        panel.weight[rows][:, [coin]], panel.close[rows][:, [coin]], band,
    )[:, 0]  # fmt: skip
    by_day = pd.Series(chosen, index=panel.dates[rows])
    return by_day.reindex(days).fillna(1.0)
