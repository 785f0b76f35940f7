"""MetaRLPortfolioModel: one pooled agent ensemble per window scales the trend book for every
pair (``meta_rl.base: "book"``; logic in ``meta_agent.rl.portfolio.freqai_model``)."""

from meta_agent.rl.portfolio.freqai_model import MetaRLPortfolioModelBase


class MetaRLPortfolioModel(MetaRLPortfolioModelBase):
    """Trains once per window for all pairs; see ``MetaRLPortfolioModelBase``."""
