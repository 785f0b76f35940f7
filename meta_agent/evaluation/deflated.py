"""The deflated Sharpe ratio (Bailey & López de Prado 2014): is the best of N tried
configurations' Sharpe ratios above what the best of N lucky ones would show?

The expected maximum Sharpe of ``trials`` configurations without skill, given the variance of
their Sharpe ratios, is the benchmark ``SR0``; the deflated Sharpe is the probability that the
true Sharpe of the chosen one exceeds it, allowing for the skewness and kurtosis of its returns
and the length of the sample. All Sharpe ratios here are per observation (daily), not annual.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def expected_max_sharpe(trials: int, variance: float) -> float:
    """Expected maximum of ``trials`` Sharpe ratios drawn with ``variance`` around zero."""
    if trials < 2 or variance <= 0:
        return 0.0
    z = stats.norm.ppf
    return math.sqrt(variance) * (
        (1 - EULER_GAMMA) * z(1 - 1 / trials) + EULER_GAMMA * z(1 - 1 / (trials * math.e))
    )


def deflated_sharpe(returns: np.ndarray, trials: int, trial_sharpes: np.ndarray) -> float:
    """Probability that the Sharpe of ``returns`` beats the best of ``trials`` unskilled ones.

    Args:
        returns: Daily returns of the chosen configuration.
        trials: Configurations tried in the search (all of them, not only those reported).
        trial_sharpes: Daily Sharpe ratios of the tried configurations (their variance sets
            the benchmark).
    """
    values = np.asarray(returns, dtype=np.float64)
    spread = values.std(ddof=1)
    if len(values) < 3 or spread == 0:
        return float("nan")
    sharpe = values.mean() / spread
    benchmark = expected_max_sharpe(trials, float(np.var(trial_sharpes, ddof=1)))
    skew = stats.skew(values)
    kurtosis = stats.kurtosis(values, fisher=False)
    denominator = math.sqrt(max(1e-12, 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2))
    return float(stats.norm.cdf((sharpe - benchmark) * math.sqrt(len(values) - 1) / denominator))
