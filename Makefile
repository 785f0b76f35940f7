# MetaRL — the two quickstart commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SHARED_DATA ?= ../shared/data
# Re-install only when the dependency pins change: `make setup` is quick when nothing changed.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

DEMO_CONFIG := config.json
DEMO_PAIRS := BTC/USD
DEMO_TIMERANGE := 20220701-20221201

.PHONY: setup data demo test test-slow check lint bench benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	# torch first and pinned: the CPU wheel; an unpinned resolve pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

# Local data when ../shared/data exists (offline), otherwise Freqtrade downloads it: Kraken
# candles, and the Binance markets the derivatives sources read. On-chain, news and social
# series cannot be downloaded with Freqtrade, so the online demo listens to the other sources.
ONLINE_DEMO := $(if $(wildcard $(SHARED_DATA)),,--config configs/online-demo.json)
DOWNLOAD_RANGE := 20220301-20221201

data: setup
	@if [ -d "$(SHARED_DATA)" ]; then \
		$(PY) -m meta_agent data import --source $(SHARED_DATA); \
	else \
		$(VENV)/bin/freqtrade download-data --config $(DEMO_CONFIG) --pairs $(DEMO_PAIRS) \
			--timeframes 1h 4h 1d --timerange $(DOWNLOAD_RANGE) && \
		$(VENV)/bin/freqtrade download-data --exchange binance --pairs BTC/USDT \
			--timeframes 1h --timerange $(DOWNLOAD_RANGE) --datadir user_data/data/binance && \
		$(VENV)/bin/freqtrade download-data --exchange binance --trading-mode futures \
			--pairs BTC/USDT:USDT --timeframes 1h --timerange $(DOWNLOAD_RANGE) \
			--datadir user_data/data/binance; \
	fi

# `--cache none`: Freqtrade's backtest cache keys on the config and the strategy file only, so
# it would print an old result after the data or the models changed. MetaRL reuses the saved
# models of a previous demo (FreqAI's save_backtest_models) and decides every window again.
demo: data
	$(PY) -m meta_agent freqtrade --offline -- backtesting --config $(DEMO_CONFIG) \
		$(ONLINE_DEMO) --strategy MetaRL --pairs $(DEMO_PAIRS) --timerange $(DEMO_TIMERANGE) \
		--cache none

test: setup
	$(PY) -m pytest

test-slow: setup
	$(PY) -m pytest -m slow

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: lint
	$(VENV)/bin/mypy

clean:
	rm -rf user_data/data user_data/models user_data/backtest_results user_data/logs

# Speed and memory of every stage against Freqtrade's stock FreqAI RL (about 25 min on 2 cores);
# writes benchmarks/results.json. Not part of `make test`.
bench: data
	$(PY) benchmarks/bench.py

benchmark: bench
