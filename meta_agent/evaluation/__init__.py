"""Evaluation of MetaRL against its baselines: metrics from Freqtrade's backtest results."""
