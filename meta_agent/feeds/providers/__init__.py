"""Live providers: the external series and reference-market candles, fetched from public
endpoints, in exactly the frames the backtest store serves (see ``meta_agent.feeds.store``).
"""
