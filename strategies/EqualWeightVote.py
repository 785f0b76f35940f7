"""Baseline: the equal-weight vote of the configured sources (``meta_rl.sources``).

The mean score of the sources available on each candle, thresholded like a single source.
"""

from meta_agent.strategy.standalone import VoteStrategy


class EqualWeightVote(VoteStrategy):
    pass
