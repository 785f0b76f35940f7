"""The evaluation's self-contained HTML report (plotly.js inlined once) and its ranking."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from meta_agent.evaluation.plan import Plan

RANKING_COLUMNS = ["total_return", "sharpe", "max_drawdown", "trades"]


#: Shown for a figure that is undefined (e.g. the Sharpe ratio of a strategy that never traded).
UNDEFINED = "—"


def ranking(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Whole-period figures per strategy, averaged over pairs, best Sharpe first.

    A figure undefined on any pair (NaN, or null as read back from ``summary.json``) leaves
    the mean undefined, and strategies without a Sharpe come last."""
    table = pd.DataFrame(records)
    whole = table[table["period"] == "whole"]
    figures = whole[RANKING_COLUMNS].apply(pd.to_numeric).astype(float)
    means = figures.groupby(whole["strategy"]).mean(skipna=False)
    return means.sort_values("sharpe", ascending=False, na_position="last").reset_index()


def figure_text(value: float, spec: str) -> str:
    """``value`` formatted with ``spec``, or :data:`UNDEFINED` where it is not finite."""
    return format(value, spec) if math.isfinite(value) else UNDEFINED


def _equity_figure(curves: dict[tuple[str, str], pd.DataFrame], pair: str) -> go.Figure:
    figure = go.Figure()
    for (strategy, curve_pair), curve in curves.items():
        if curve_pair == pair:
            growth = curve["equity"] / curve["equity"].iloc[0]
            figure.add_trace(go.Scatter(x=curve["date"], y=growth, name=strategy, mode="lines"))
    figure.update_layout(title=f"{pair}: equity (start = 1)", yaxis_type="log", height=450)
    return figure


def _drawdown_figure(curves: dict[tuple[str, str], pd.DataFrame], pair: str) -> go.Figure:
    figure = go.Figure()
    for (strategy, curve_pair), curve in curves.items():
        if curve_pair == pair:
            drawdown = curve["equity"] / curve["equity"].cummax() - 1
            figure.add_trace(go.Scatter(x=curve["date"], y=drawdown, name=strategy, mode="lines"))
    figure.update_layout(title=f"{pair}: drawdown", yaxis_tickformat=".0%", height=350)
    return figure


def _exposure_figure(curve: pd.DataFrame, pair: str) -> go.Figure:
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=curve["date"], y=curve["close"], name="close", yaxis="y2"))
    figure.add_trace(
        go.Scatter(x=curve["date"], y=curve["exposure"], name="MetaRL exposure", fill="tozeroy")
    )
    figure.update_layout(
        title=f"{pair}: MetaRL's exposure against the price",
        yaxis={"title": "exposure", "tickformat": ".0%"},
        yaxis2={"title": "price", "overlaying": "y", "side": "right", "type": "log"},
        height=350,
    )
    return figure


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(
        index=False, float_format=lambda v: figure_text(v, ".3f"), border=0, na_rep=UNDEFINED
    )


def write_report(
    plan: Plan,
    summary: dict[str, Any],
    curves: dict[tuple[str, str], pd.DataFrame],
    path: Path,
) -> Path:
    """Equity and drawdown curves of every strategy per pair, MetaRL's exposure, the ranking,
    the per-fold and stress-window tables, and the global attribution chart when MetaRL's
    models stored one; one file, nothing fetched from the network."""
    records = pd.DataFrame(summary["records"])
    figures: list[go.Figure] = []
    for pair, _ in plan.units():
        figures += [_equity_figure(curves, pair), _drawdown_figure(curves, pair)]
        if ("MetaRL", pair) in curves:
            figures.append(_exposure_figure(curves[("MetaRL", pair)], pair))
    attribution = _attribution_figure(plan)
    if attribution is not None:
        figures.append(attribution)
    folds = records[records["period"].str.startswith("fold-")].pivot_table(
        index=["period", "start", "end"], columns="strategy", values="total_return"
    )
    years = records[records["period"].str.startswith("year-")].pivot_table(
        index=["period", "start", "end"], columns="strategy", values="sharpe"
    )
    stress = records[
        ~records["period"].isin(["whole"]) & ~records["period"].str.startswith(("fold", "year-"))
    ]
    parts = [
        "<html><head><meta charset='utf-8'><title>MetaRL evaluation</title>",
        "<style>body{font-family:sans-serif;margin:2em} table{border-collapse:collapse}"
        " td,th{padding:2px 8px;text-align:right}</style></head><body>",
        f"<h1>MetaRL evaluation: {', '.join(plan.pairs)}, {plan.timerange}</h1>",
        f"<p>{plan.exchange}, fee {plan.fee:.2%} per side, config hash "
        f"<code>{summary['config_hash']}</code>; command: <code>"
        f"{' '.join(summary['command'])}</code></p>",
        "<h2>Ranking (whole period, mean over pairs)</h2>",
        _html_table(ranking(summary["records"])),
    ]
    for index, figure in enumerate(figures):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=index == 0))
    parts += [
        "<h2>Total return per walk-forward fold</h2>",
        _html_table(folds.reset_index()),
    ]
    if not years.empty:
        parts += ["<h2>Sharpe per calendar year</h2>", _html_table(years.reset_index())]
    if not stress.empty:
        columns = ["strategy", "pair", "period", "total_return", "max_drawdown"]
        parts += ["<h2>Stress windows</h2>", _html_table(stress[columns])]
    parts.append("</body></html>")
    path.write_text("\n".join(parts))
    return path


def _attribution_figure(plan: Plan) -> go.Figure | None:
    """Global attribution per fold of the MetaRL models of this evaluation (its own FreqAI
    identifier; the most recently written contract folder), folds of this period."""
    from meta_agent.evaluation.attribution_report import attribution_figure, load_global_attribution

    freqai = plan.config.get("freqai", {})
    root = Path(plan.config.get("user_data_dir", "user_data")) / "models"
    folders = sorted(root.glob(f"{plan.identifier}-*"), key=lambda p: p.stat().st_mtime)
    if not folders:
        return None
    try:
        table = load_global_attribution(folders[-1])
    except FileNotFoundError:
        return None
    train = pd.Timedelta(days=float(freqai.get("train_period_days", 0)))
    inside = (table["trained_until"] >= plan.start - train) & (table["trained_until"] < plan.end)
    return attribution_figure(table[inside]) if inside.any() else None
