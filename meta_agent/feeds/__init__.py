"""Where external data comes from: the imported store in backtests (:mod:`.store`, with the one
``available_at`` rule and :func:`~meta_agent.feeds.store.align`), the live providers when
trading (:mod:`.providers`), and which of them a strategy reads (:mod:`.runtime`)."""
