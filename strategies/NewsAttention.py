"""Attention-weighted headline sentiment (VADER). Source ``news-v1`` as a standalone strategy."""

from freqtrade.strategy import DecimalParameter

from meta_agent.strategy.standalone import SourceStrategy


class NewsAttention(SourceStrategy):
    source_id = "news-v1"
    # Headline sentiment is mild (VADER scores of short titles): a lower default bar.
    entry_score = DecimalParameter(0.02, 0.5, default=0.08, decimals=2, space="buy")
