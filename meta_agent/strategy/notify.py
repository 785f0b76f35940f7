"""The one-line message a MetaRL bot sends (Telegram, webhooks) when a target exposure changes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from meta_agent.columns import ATTRIBUTION_PREFIX, CONTEXT, POSITION, TARGET


def decision_line(pair: str, old: float, new: float, row: pd.Series, top: int = 3) -> str:
    """``MetaRL BTC/USD: exposure 0.5 → 1 | trend-v1 +42%, funding-v1 -21%, news-v1 +9%``: the
    top sources' signed shares of the decision's total absolute attribution."""
    sources = row.drop([CONTEXT, POSITION], errors="ignore")
    total = float(row.abs().sum())
    ranked = sources.reindex(sources.abs().sort_values(ascending=False).index)[:top]
    parts = [f"{name} {value / total:+.0%}" for name, value in ranked.items() if total > 0]
    return f"MetaRL {pair}: exposure {old:g} → {new:g} | " + ", ".join(parts)


def exposure_change_line(dataframe: pd.DataFrame, pair: str) -> str | None:
    """The line for the latest candle if its target differs from the previous one, else None."""
    if len(dataframe) < 2 or TARGET not in dataframe:
        return None
    old, new = (float(v) for v in dataframe[TARGET].iloc[-2:])
    if old == new:
        return None
    columns = [c for c in dataframe.columns if c.startswith(ATTRIBUTION_PREFIX)]
    if not columns:
        return f"MetaRL {pair}: exposure {old:g} → {new:g}"
    row = dataframe[columns].iloc[-1].rename(lambda c: c.removeprefix(ATTRIBUTION_PREFIX))
    return decision_line(pair, old, new, row.astype(float))


def notify_exposure_change(
    dataframe: pd.DataFrame, pair: str, send: Callable[[str], None]
) -> str | None:
    """Send the line through ``send`` (a strategy's ``dp.send_msg``) if the target changed."""
    line = exposure_change_line(dataframe, pair)
    if line is not None:
        send(line)
    return line
