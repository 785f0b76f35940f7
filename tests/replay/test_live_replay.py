"""``freqtrade trade --strategy MetaRL`` in dry-run against replayed real Kraken candles.

The bot runs its real live code path: Freqtrade's trading loop, FreqAI's live training thread
and prediction, ``adjust_trade_position``, protections and locks, the SQLite trade database,
the API server, MetaRL's live feed. Only the exchange is replaced, at the protocol level: ccxt
talks to :class:`~meta_agent.replay.exchange.ReplayExchange` on 127.0.0.1 (Kraken's public
REST calls), and the clock follows the replay one candle per bot iteration
(:mod:`meta_agent.replay.clock`). The replay spans the FTX crash (BTC -22 % on 8-9 Nov 2022).

Scenario (one run, several tests read it): start, check the API mid-run, kill the bot with
SIGKILL, restart it on the same database, make the Fear & Greed feed fail for a while, run to
the end. About five minutes on two cores.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from meta_agent.data.external import read_fear_and_greed
from meta_agent.data.kraken import read_kraken_ohlcvt
from meta_agent.offline import freqtrade_command
from meta_agent.replay.exchange import FEAR_GREED_ROUTE, ReplayExchange
from meta_agent.rl.risk import DAILY_LOSS_REASON
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

PAIRS = {"BTC/USD": "XBTUSD_60.csv", "ETH/USD": "ETHUSD_60.csv"}
START = datetime(2022, 11, 5, tzinfo=UTC)
END = START + timedelta(hours=300)
KILL_AT = datetime(2022, 11, 9, 12, tzinfo=UTC)  # mid-crash
FEED_FAILS_AT = datetime(2022, 11, 13, tzinfo=UTC)
AUTH = ("replay", "replay-only-password")  # written to a temporary config, never committed
SOURCES = ["trend-v1", "breakout-v2", "reversion-v1", "fear_greed-v1"]
BOT_TIMEOUT = 1500.0  # real seconds for one bot process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_config(userdir: Path, exchange: ReplayExchange, port: int) -> dict[str, Any]:
    config = json.loads((PROJECT_ROOT / "config.json").read_text())
    ccxt = {**exchange.ccxt_urls(), "enableRateLimit": False}
    config["exchange"].update(ccxt_config=ccxt, ccxt_async_config=ccxt, pair_whitelist=list(PAIRS))
    config["max_open_trades"] = len(PAIRS)
    config["meta_rl"].update(
        sources=SOURCES,
        live_feeds={
            "providers": ["fear_greed"],
            "fear_greed_url": exchange.fear_greed_url,
            "timeout": 5,
            "retry_after": 60,
        },
    )
    # A small cap, so that holding anything through the crash trips it.
    config["meta_rl"]["risk"].update(daily_loss_cap=0.005, max_total_exposure=0.75)
    freqai = config["freqai"]
    freqai.update(identifier="replay", train_period_days=30, live_retrain_hours=24)
    freqai["feature_parameters"]["include_timeframes"] = ["1h"]
    # A few days of replay need hourly decisions to scale, exit and trip the loss cap; without
    # 1d candles there is no trend regime to adjust. The seed ensemble (3) stays as shipped.
    config["meta_rl"].update(decision_every=1, base=None, validation_gate=False)
    freqai["model_training_parameters"].update(n_steps=128, batch_size=32)
    freqai["rl_config"].update(net_arch=[16, 16], train_cycles=2)
    config["api_server"].update(
        listen_port=port,
        username=AUTH[0],
        password=AUTH[1],
        jwt_secret_key="replay-only-jwt-secret-" + "x" * 16,
        ws_token="replay-only-ws-token",
    )
    config["internals"]["process_throttle_secs"] = 1
    config["datadir"] = str(userdir / "data" / "kraken")
    return config


@dataclass
class Replay:
    """What the scenario left behind, for the tests to read."""

    userdir: Path
    database: Path
    log: Path
    exchange: ReplayExchange
    api: dict[str, Any] = field(default_factory=dict)  # answers captured mid-run
    open_at_kill: list[tuple[int, str, str]] = field(default_factory=list)
    killed_at: datetime = END
    exit_codes: list[int] = field(default_factory=list)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql).fetchall()

    def predictions(self) -> dict[str, pd.DataFrame]:
        (path,) = (self.userdir / "models").glob("replay-*/historic_predictions.pkl")
        with path.open("rb") as handle:
            return pickle.load(handle)

    def decisions(self, pair: str) -> pd.Series:
        """``&-action`` per decided candle (``do_predict`` 1), indexed by the candle's date.

        FreqAI saves its predictions at a retraining and at shutdown, so the SIGKILL loses
        those since the last save; the analysed frame captured through the API just before the
        kill still holds them (FreqAI attaches its in-memory predictions to it) and fills that
        gap. Candles decided between the capture and the kill stay unknown.
        """
        saved = self.predictions()[pair].set_index("date_pred")
        saved = saved.loc[saved["do_predict"] == 1, "&-action"]
        answer = self.api[f"before_kill/pair_candles/{pair}"]
        frame = pd.DataFrame(answer["data"], columns=answer["columns"])
        frame.index = pd.to_datetime(frame["date"], utc=True)
        captured = frame.loc[frame["do_predict"] == 1, "&-action"].astype(float)
        merged = pd.concat([saved, captured[~captured.index.isin(saved.index)]])
        return merged.sort_index()


def start_bot(replay: Replay, config_path: Path) -> subprocess.Popen[bytes]:
    command = freqtrade_command(
        [
            "trade",
            "--config",
            str(config_path),
            "--userdir",
            str(replay.userdir),
            "--db-url",
            f"sqlite:///{replay.database}",
            "--logfile",
            str(replay.log),
        ],
        replay=replay.exchange.url,
    )
    # Freqtrade configures no logging (no --logfile) when it believes it runs under pytest.
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_until(condition: Callable[[], bool], bot: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + BOT_TIMEOUT
    while not condition():
        if bot.poll() is not None:
            raise AssertionError(f"the bot exited ({bot.returncode}) before {what}")
        if time.monotonic() > deadline:
            bot.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def capture_api(port: int, name: str, replay: Replay) -> None:
    base = f"http://127.0.0.1:{port}/api/v1"
    replay.api[f"{name}/ping"] = requests.get(f"{base}/ping", timeout=10).json()
    replay.api[f"{name}/status"] = requests.get(f"{base}/status", auth=AUTH, timeout=10).json()
    for pair in PAIRS:
        replay.api[f"{name}/pair_candles/{pair}"] = requests.get(
            f"{base}/pair_candles",
            params={"pair": pair, "timeframe": "1h", "limit": 48},
            auth=AUTH,
            timeout=30,
        ).json()


def open_trades(replay: Replay) -> list[tuple[Any, ...]]:
    return replay.query("select id, pair, open_date from trades where is_open = 1 order by id")


def analysed_until(port: int, candle: datetime) -> bool:
    """Whether every pair's analysed frame (``pair_candles``) reaches ``candle``."""
    for pair in PAIRS:
        answer = requests.get(
            f"http://127.0.0.1:{port}/api/v1/pair_candles",
            params={"pair": pair, "timeframe": "1h", "limit": 2},
            auth=AUTH,
            timeout=10,
        ).json()
        dates = [row[answer["columns"].index("date")] for row in answer.get("data", [])]
        if not dates or pd.Timestamp(max(dates)) < pd.Timestamp(candle):
            return False
    return True


def api_up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2).ok
    except requests.ConnectionError:
        return False


def recorded_candles(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {
        pair: read_kraken_ohlcvt(shared_data / "kraken" / "raw" / name)
        for pair, name in PAIRS.items()
    }


@pytest.fixture(scope="module")
def replay(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    userdir = tmp_path_factory.mktemp("replay") / "user_data"
    for folder in ("data/kraken", "data/external", "models", "logs"):
        (userdir / folder).mkdir(parents=True)
    candles = recorded_candles(shared_data)
    for pair, frame in candles.items():  # the history a user imported before going live
        name = pair.replace("/", "_")
        history = frame[frame["date"] < START].reset_index(drop=True)
        history.to_feather(userdir / "data" / "kraken" / f"{name}-1h.feather")
    fear_greed = read_fear_and_greed(shared_data / "sentiment" / "fear_and_greed.csv")
    stored = fear_greed[fear_greed["available_at"] <= START].reset_index(drop=True)
    stored.to_feather(userdir / "data" / "external" / "fear_and_greed.feather")
    served = fear_greed.rename(columns={"classification": "value_classification"})

    with ReplayExchange(candles, start=START, end=END, fear_greed=served) as exchange:
        port = free_port()
        config_path = userdir / "config.json"
        config_path.write_text(json.dumps(bot_config(userdir, exchange, port), indent=1))
        state = Replay(
            userdir, userdir / "trades.sqlite", userdir / "logs" / "bot.log", exchange=exchange
        )

        bot = start_bot(state, config_path)
        try:
            # Kill mid-run, while a trade is open.
            wait_until(
                lambda: exchange.now >= KILL_AT and bool(open_trades(state)), bot, "an open trade"
            )
            wait_until(lambda: api_up(port), bot, "the API server")
            # The bot analyses a candle a few seconds after it closes: capture once the candle
            # that closed at the kill time is analysed, not in the race before.
            wait_until(
                lambda: analysed_until(port, KILL_AT - timedelta(hours=1)), bot, "the last candle"
            )
            capture_api(port, "before_kill", state)
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=60)
            state.exit_codes.append(bot.returncode)
            state.open_at_kill = open_trades(state)
            state.killed_at = exchange.now

            exchange.fail_route(FEAR_GREED_ROUTE, FEED_FAILS_AT)
            bot = start_bot(state, config_path)
            wait_until(lambda: exchange.now >= FEED_FAILS_AT + timedelta(hours=6), bot, "fail")
            wait_until(lambda: api_up(port), bot, "the API server after the restart")
            capture_api(port, "feed_down", state)
            exchange.fail_route(FEAR_GREED_ROUTE, None)  # the provider comes back
            state.exit_codes.append(bot.wait(timeout=BOT_TIMEOUT))
        finally:
            if bot.poll() is None:
                bot.kill()
        yield state


def test_the_bot_ran_to_the_end_after_a_kill(replay: Replay) -> None:
    assert replay.exit_codes == [-signal.SIGKILL, 0], replay.log.read_text()[-3000:]
    assert replay.exchange.done


def test_api_serves_ping_status_and_metarl_columns(replay: Replay) -> None:
    assert replay.api["before_kill/ping"] == {"status": "pong"}
    assert isinstance(replay.api["before_kill/status"], list)
    for pair in PAIRS:
        answer = replay.api[f"before_kill/pair_candles/{pair}"]
        columns = answer["columns"]
        for column in ("&-action", "do_predict", "%%-trend-v1__score", "%%-attr_trend-v1"):
            assert column in columns, (column, columns)
        rows = pd.DataFrame(answer["data"], columns=columns)
        assert pd.to_datetime(rows["date"]).max() >= pd.Timestamp(KILL_AT) - timedelta(hours=1)
        assert rows["&-action"].isin([0.0, 0.5, 1.0]).all()
        assert (rows["do_predict"] == 1).all()


def test_a_failing_feed_masks_its_source_and_the_loop_goes_on(replay: Replay) -> None:
    before = replay.api["before_kill/pair_candles/BTC/USD"]
    after = replay.api["feed_down/pair_candles/BTC/USD"]
    column = "%%-fear_greed-v1__available"
    up = pd.DataFrame(before["data"], columns=before["columns"])[column]
    down = pd.DataFrame(after["data"], columns=after["columns"])[column]
    assert up.iloc[-1] == 1
    assert down.iloc[-1] == 0
    log = replay.log.read_text()
    assert "Live feed fear_and_greed unavailable" in log
    assert "Live feed fear_and_greed recovered" in log
    assert replay.exchange.done  # the candle loop did not stop


def test_trades_were_opened_scaled_and_closed(replay: Replay) -> None:
    trades = replay.query("select id, is_open from trades")
    assert any(not is_open for _, is_open in trades), trades
    entries = replay.query(
        "select ft_trade_id, count(*) from orders where ft_order_side = 'buy' and status = "
        "'closed' group by ft_trade_id"
    )
    partial_exits = replay.query(
        "select o.ft_trade_id from orders o join trades t on t.id = o.ft_trade_id where "
        "o.ft_order_side = 'sell' and o.status = 'closed' and (t.is_open = 1 or "
        "o.order_date < t.close_date)"
    )
    assert any(count > 1 for _, count in entries) or partial_exits, "no trade was scaled"


def test_orders_follow_the_agents_decisions(replay: Replay) -> None:
    """Each filled order agrees with the exposure the agent chose on the candle that had just
    closed: entries and scale-ins under a positive target, partial exits under a smaller
    positive one, exits under flat (the hard stoploss aside)."""
    predictions = replay.predictions()
    orders = replay.query(
        "select t.pair, o.ft_order_side, o.order_date, o.ft_order_tag from orders o join trades "
        "t on t.id = o.ft_trade_id where o.status = 'closed'"
    )
    assert orders
    checked = 0
    for pair, side, order_date, tag in orders:
        decided = predictions[pair].set_index("date_pred")
        candle = pd.Timestamp(order_date, tz="UTC").floor("1h") - pd.Timedelta(hours=1)
        if candle not in decided.index or decided.loc[candle, "do_predict"] != 1:
            continue  # candles decided after the last save, or before the kill
        target = decided.loc[candle, "&-action"]
        if side == "buy" or tag == "partial_exit":
            assert target > 0, (pair, side, order_date, tag, target)
        elif tag == "flat":
            assert target == 0, (pair, side, order_date, tag, target)
        checked += 1
    assert checked >= len(orders) // 2, (checked, len(orders))


def test_restart_reloads_open_trades_without_loss_or_duplicates(replay: Replay) -> None:
    assert replay.open_at_kill, "no trade was open when the bot was killed"
    after = {row[0]: row[1:] for row in replay.query("select id, pair, open_date from trades")}
    for trade_id, pair, open_date in replay.open_at_kill:
        assert after[trade_id] == (pair, open_date)
        # The restarted bot went on managing it: it was closed or traded after the restart.
        (later,) = replay.query(
            f"select count(*) from orders where ft_trade_id = {trade_id} and order_date > "
            f"'{pd.Timestamp(replay.killed_at).tz_localize(None)}'"
        )
        assert later[0] >= 1, trade_id
    keys = replay.query("select pair, open_date, count(*) from trades group by 1, 2")
    assert all(count == 1 for _, _, count in keys)
    orders = replay.query("select order_id, count(*) from orders group by 1")
    assert all(count == 1 for _, count in orders)


def test_daily_loss_cap_locks_new_exposure_for_the_rest_of_the_day(replay: Replay) -> None:
    """The cap is small here (0.5 % of the stake), so fees and the crash trip it; then no order
    adds exposure until 00:00 UTC, and the agent's masks did not ask for more either."""
    locks = replay.query(
        f"select lock_time, lock_end_time from pairlocks where reason = '{DAILY_LOSS_REASON}'"
    )
    assert locks, "the daily loss cap never tripped"
    for lock_time, lock_end in locks:
        start = pd.Timestamp(lock_time, tz="UTC")
        end = pd.Timestamp(lock_end, tz="UTC")
        assert end == start.normalize() + pd.Timedelta(days=1)
        added = replay.query(
            "select count(*) from orders where ft_order_side = 'buy' and status = 'closed' and "
            f"order_date > '{start.tz_localize(None)}' and order_date < '{end.tz_localize(None)}'"
        )
        assert added == [(0,)], (lock_time, added)
        for pair in PAIRS:
            decided = replay.decisions(pair)
            # A candle is decided one hour after it opens, when it has closed.
            first = start.floor("1h") - pd.Timedelta(hours=1)  # decided in the locking loop
            last = end - pd.Timedelta(hours=1)  # decided when the lock has ended
            window = decided[(decided.index >= first) & (decided.index < last)]
            before = decided[decided.index < first].iloc[-1:]
            levels = pd.concat([before, window])
            assert (levels.diff().dropna() <= 0).all(), (pair, lock_time, levels.tolist())
