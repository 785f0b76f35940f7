"""The Freqtrade-facing stage: strategy bases, exposure realisation, standalone-source
strategies and their discovery, features, plot config, notifications, stacking."""
