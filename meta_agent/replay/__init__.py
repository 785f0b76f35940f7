"""Replay recorded market data through local servers that answer like the real APIs."""
