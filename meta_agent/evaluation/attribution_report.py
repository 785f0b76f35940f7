"""Global attribution per trained model: which sources mattered, fold by fold.

Each model folder (``user_data/models/<identifier>/sub-train-<PAIR>_<timestamp>/``) holds
``attribution_global.json``: the mean absolute SHAP attribution per source, context and
position block over its training-window sample, as shares. This module reads them all and
draws one grouped bar chart per pair (a bar group per fold), self-contained HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from meta_agent.columns import GLOBAL_FILE

_FOLDER = re.compile(r"sub-train-(?P<coin>[A-Z0-9]+)_(?P<stamp>\d+)")


def load_global_attribution(models: Path) -> pd.DataFrame:
    """One row per model: ``coin``, ``trained_until`` (end of its training window), shares."""
    rows = []
    for path in sorted(Path(models).glob(f"sub-train-*/{GLOBAL_FILE}")):
        match = _FOLDER.fullmatch(path.parent.name)
        if match is None:
            continue
        shares = json.loads(path.read_text())
        trained_until = pd.Timestamp(int(match["stamp"]), unit="s", tz="UTC")
        rows.append({"coin": match["coin"], "trained_until": trained_until, **shares})
    if not rows:
        raise FileNotFoundError(
            f"No {GLOBAL_FILE} under {models}/sub-train-*/: train with meta_rl.attribution on."
        )
    return pd.DataFrame(rows).sort_values(["coin", "trained_until"]).reset_index(drop=True)


def attribution_figure(table: pd.DataFrame) -> go.Figure:
    """Grouped bars: for each pair, each fold's share of attribution per source."""
    coins = list(dict.fromkeys(table["coin"]))
    groups = [c for c in table.columns if c not in ("coin", "trained_until")]
    figure = make_subplots(rows=len(coins), cols=1, subplot_titles=coins, shared_xaxes=True)
    for row, coin in enumerate(coins, start=1):
        for _, fold in table[table["coin"] == coin].iterrows():
            figure.add_trace(
                go.Bar(
                    x=groups,
                    y=[fold[g] for g in groups],
                    name=f"{coin} trained until {fold['trained_until']:%Y-%m-%d}",
                ),
                row=row,
                col=1,
            )
    figure.update_layout(
        barmode="group",
        title="Share of mean |SHAP| attribution per source, one bar per walk-forward fold",
        yaxis_tickformat=".0%",
        height=350 * len(coins),
    )
    return figure


def write_attribution_report(models: Path, out: Path) -> Path:
    """Write the chart as one self-contained HTML file (plotly.js inlined, no network)."""
    figure = attribution_figure(load_global_attribution(models))
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(out, include_plotlyjs=True, full_html=True)
    return out


def decision_lines(models: Path) -> list[str]:
    """The exposure-change lines a live bot would have sent, replayed from the backtest
    predictions FreqAI stored under ``models/backtesting_predictions/``, oldest first."""
    from meta_agent.strategy.notify import exposure_change_line

    files = sorted(Path(models).glob("backtesting_predictions/cb_*_prediction.feather"))
    if not files:
        raise FileNotFoundError(f"No stored backtest predictions under {models}.")
    lines: list[str] = []
    by_coin: dict[str, list[pd.DataFrame]] = {}
    for path in files:
        by_coin.setdefault(path.name.split("_")[1].upper(), []).append(pd.read_feather(path))
    for coin, frames in sorted(by_coin.items()):
        frame = pd.concat(frames).sort_values("date").reset_index(drop=True)
        for end in range(2, len(frame) + 1):
            line = exposure_change_line(frame.iloc[end - 2 : end], coin)
            if line is not None:
                lines.append(f"{frame['date'].iloc[end - 1]:%Y-%m-%d %H:%M} {line}")
    return lines
