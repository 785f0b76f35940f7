"""The replay exchange, checked through ccxt's own Kraken clients (sync and async)."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import ccxt
import ccxt.async_support as ccxt_async
import numpy as np
import pandas as pd
import pytest

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers.sources import FearGreedProvider
from meta_agent.offline import load_snapshot
from meta_agent.replay.exchange import ReplayExchange, advance_server, clock_from_server
from tests.conftest import SHARED_DATA

HOUR = timedelta(hours=1)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
START = T0 + 100 * HOUR  # 2024-01-05 04:00


def synthetic(n: int = 1000) -> pd.DataFrame:
    """Hourly candles from T0 whose open is the previous close (as a continuous market)."""
    close = 100 + np.cumsum(np.sin(np.arange(n)) + 0.1)
    open_ = np.concatenate([[100.0], close[:-1]])
    return pd.DataFrame(
        {
            "date": pd.date_range(T0, periods=n, freq="1h"),
            "open": open_,
            "high": np.maximum(open_, close) + 1,
            "low": np.minimum(open_, close) - 1,
            "close": close,
            "volume": 1.0 + np.arange(n) % 7,
        }
    )


CANDLES = synthetic()


def fear_greed() -> pd.DataFrame:
    days = pd.date_range("2023-12-20", "2024-01-20", freq="1D", tz="UTC")
    values = np.arange(len(days)) + 20
    return pd.DataFrame(
        {"date": days, "value": values, "value_classification": ["Fear"] * len(days)}
    )


@pytest.fixture
def replay() -> Iterator[ReplayExchange]:
    with ReplayExchange(
        {"BTC/USD": CANDLES}, start=START, end=START + 10 * HOUR, fear_greed=fear_greed()
    ) as server:
        yield server


@pytest.fixture
def api(replay: ReplayExchange) -> ccxt.kraken:
    return ccxt.kraken({**replay.ccxt_urls(), "enableRateLimit": False})


def at(time: datetime) -> int:
    return int(time.timestamp() * 1000)


def recorded(time: datetime) -> list[float]:
    row = CANDLES[CANDLES["date"] == time].iloc[0]
    return [at(time), *row[["open", "high", "low", "close", "volume"]].astype(float)]


def test_ccxt_config_urls_override_the_kraken_endpoints(replay: ReplayExchange) -> None:
    api = ccxt.kraken(replay.ccxt_urls())
    assert api.urls["api"]["public"] == api.urls["api"]["private"] == replay.url
    assert api.urls["api"]["zendesk"].startswith("https://")  # deep-merged, not replaced
    assert api.fetch_time() == at(START)
    assert replay.requests == ["/0/public/Time"]


def test_load_markets_round_trips_the_snapshot(replay: ReplayExchange, api: ccxt.kraken) -> None:
    markets = api.load_markets()
    assert replay.requests == ["/0/public/Assets", "/0/public/AssetPairs"]  # fetch_currencies too
    snapshot = load_snapshot("kraken").markets
    assert set(markets) == set(snapshot)
    for symbol, expected in snapshot.items():
        market = markets[symbol]
        assert market["id"] == expected["id"]
        assert (market["base"], market["quote"]) == (expected["base"], expected["quote"])
        assert market["precision"] == expected["precision"]
        for limit in ("amount", "cost"):
            assert market["limits"][limit]["min"] == expected["limits"][limit]["min"]
        assert (market["taker"], market["maker"]) == (expected["taker"], expected["maker"])
        assert market["spot"] and market["active"]


def test_ohlcv_ends_at_the_clock_with_a_partial_candle(api: ccxt.kraken) -> None:
    candles = api.fetch_ohlcv("BTC/USD", "1h")
    assert candles[-1][0] == at(START)
    assert candles[-2] == recorded(START - HOUR)
    assert candles[-3] == recorded(START - 2 * HOUR)
    open_ = recorded(START)[1]
    assert candles[-1] == [at(START), open_, open_, open_, open_, 0.0]
    assert len(candles) == 101


def test_advance_reveals_exactly_one_more_closed_candle(
    replay: ReplayExchange, api: ccxt.kraken
) -> None:
    before = api.fetch_ohlcv("BTC/USD", "1h")
    assert replay.advance() == START + HOUR
    after = api.fetch_ohlcv("BTC/USD", "1h")
    assert after[:-2] == before[:-1]
    assert after[-2] == recorded(START)
    assert after[-1][0] == at(START + HOUR) and after[-1][5] == 0.0


def test_clock_over_http_stops_at_end(replay: ReplayExchange) -> None:
    assert clock_from_server(replay.url) == {
        "now": int(START.timestamp()),
        "end": int(replay.end.timestamp()),
        "done": False,
    }
    for _ in range(12):
        clock = advance_server(replay.url)
    assert clock["now"] == clock["end"] and clock["done"]
    assert replay.now == replay.end and replay.done


def test_ohlc_serves_at_most_720_candles() -> None:
    start = T0 + 900 * HOUR
    with ReplayExchange({"BTC/USD": CANDLES}, start=start, end=start) as server:
        api = ccxt.kraken({**server.ccxt_urls(), "enableRateLimit": False})
        candles = api.fetch_ohlcv("BTC/USD", "1h")
    assert len(candles) == 720
    assert candles[0][0] == at(start - 719 * HOUR) and candles[-1][0] == at(start)


def test_since_serves_candles_opening_after_it(replay: ReplayExchange, api: ccxt.kraken) -> None:
    since = START - 5 * HOUR
    candles = api.fetch_ohlcv("BTC/USD", "1h", since=at(since))
    assert [c[0] for c in candles] == [at(since + k * HOUR) for k in range(6)]
    raw = api.publicGetOHLC({"pair": "XXBTZUSD", "interval": 60, "since": int(since.timestamp())})
    rows = raw["result"]["XXBTZUSD"]
    assert [r[0] for r in rows] == [int((since + k * HOUR).timestamp()) for k in range(1, 6)]
    assert raw["result"]["last"] == int((START - HOUR).timestamp())


def test_4h_candles_are_resampled_from_the_hourly_ones(api: ccxt.kraken) -> None:
    candles = api.fetch_ohlcv("BTC/USD", "4h")
    hourly = CANDLES[CANDLES["date"] < START].set_index("date")
    expected = (
        hourly.resample("4h", label="left", closed="left")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .tail(3)
    )
    closed = [
        [at(t), *map(float, row)] for t, row in zip(expected.index, expected.values, strict=True)
    ]
    assert candles[-4:-1] == closed
    open_ = recorded(START)[1]  # START = 04:00 opens a 4h candle
    assert candles[-1] == [at(START), open_, open_, open_, open_, 0.0]


def test_4h_candle_in_progress_shows_only_its_open(
    replay: ReplayExchange, api: ccxt.kraken
) -> None:
    replay.advance()
    replay.advance()
    candles = api.fetch_ohlcv("BTC/USD", "4h")
    open_ = recorded(START)[1]
    assert candles[-1] == [at(START), open_, open_, open_, open_, 0.0]


def test_ticker_and_order_book_sit_at_the_last_close(
    replay: ReplayExchange, api: ccxt.kraken
) -> None:
    last_close = recorded(START - HOUR)[4]
    ticker = api.fetch_ticker("BTC/USD")
    assert ticker["last"] == ticker["bid"] == ticker["ask"] == pytest.approx(last_close)
    day = CANDLES[(CANDLES["date"] >= START - 24 * HOUR) & (CANDLES["date"] < START)]
    assert ticker["high"] == day["high"].max() and ticker["baseVolume"] == day["volume"].sum()
    book = api.fetch_order_book("BTC/USD", 5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert book["bids"][0][0] == pytest.approx(last_close * (1 - 1e-4))
    assert book["asks"][0][0] == pytest.approx(last_close * (1 + 1e-4))
    assert book["bids"][4][0] < book["bids"][0][0] < last_close < book["asks"][0][0]
    replay.advance()
    assert api.fetch_ticker("BTC/USD")["last"] == pytest.approx(recorded(START)[4])


def test_unknown_pair_or_interval_is_a_kraken_error(api: ccxt.kraken) -> None:
    api.load_markets()
    with pytest.raises(ccxt.BadSymbol):
        api.fetch_ohlcv("FOO/USD", "1h")
    with pytest.raises(ccxt.ExchangeError, match="Unknown asset pair"):
        api.publicGetOHLC({"pair": "FOOUSD", "interval": 60})
    with pytest.raises(ccxt.ExchangeError, match="Unknown asset pair"):
        api.fetch_ohlcv("ETH/USD", "1h")  # in the snapshot, but no candles were given
    with pytest.raises(ccxt.BadRequest, match="Invalid arguments"):
        api.fetch_ohlcv("BTC/USD", "15m")


def test_fail_route_answers_503_from_the_given_time_until_cleared(
    replay: ReplayExchange, api: ccxt.kraken
) -> None:
    api.load_markets()
    replay.fail_route("/0/public/OHLC", START + HOUR)
    assert api.fetch_ohlcv("BTC/USD", "1h")
    replay.advance()
    with pytest.raises(ccxt.ExchangeNotAvailable):
        api.fetch_ohlcv("BTC/USD", "1h")
    assert api.fetch_ticker("BTC/USD")["last"]  # other routes still answer
    replay.fail_route("/0/public/OHLC", None)
    assert api.fetch_ohlcv("BTC/USD", "1h")[-1][0] == at(START + HOUR)


def test_fear_greed_feed_hides_days_not_yet_ended(replay: ReplayExchange) -> None:
    provider = FearGreedProvider(url=f"{replay.url}/feeds/fear_greed?limit=10&format=json")
    frame = provider.fetch()["fear_and_greed"]
    last_day = pd.Timestamp("2024-01-04", tz="UTC")  # START is 2024-01-05 04:00
    assert frame["date"].iloc[-1] == last_day and len(frame) == 10
    assert (frame["available_at"] <= pd.Timestamp(START)).all()
    assert frame["value"].iloc[-1] == 20 + (last_day - pd.Timestamp("2023-12-20", tz="UTC")).days
    with urllib.request.urlopen(f"{replay.url}/feeds/fear_greed?format=json") as response:
        body = response.read().decode()
    assert '"timestamp": "1704326400"' in body and '"name": "Fear and Greed Index"' in body


def test_fear_greed_feed_fails_mid_run(
    replay: ReplayExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("meta_agent.feeds.providers.http.time.sleep", lambda seconds: None)
    provider = FearGreedProvider(url=f"{replay.url}/feeds/fear_greed?limit=5")
    replay.fail_route("/feeds/", START + 2 * HOUR)
    replay.advance()
    assert len(provider.fetch()["fear_and_greed"]) == 5
    replay.advance()
    with pytest.raises(FeedUnavailableError, match="HTTP 503"):
        provider.fetch()
    with pytest.raises(urllib.error.HTTPError, match="503"):
        urllib.request.urlopen(f"{replay.url}/feeds/fear_greed")


def test_async_client_reads_the_same_replay(replay: ReplayExchange) -> None:
    async def run() -> tuple[dict, list[list[float]], dict]:
        api = ccxt_async.kraken({**replay.ccxt_urls(), "enableRateLimit": False})
        try:
            markets = await api.load_markets()
            return (
                markets,
                await api.fetch_ohlcv("BTC/USD", "1h", limit=3),
                await api.fetch_ticker("BTC/USD"),
            )
        finally:
            await api.close()

    markets, candles, ticker = asyncio.run(run())
    assert markets["DOGE/USD"]["id"] == "XDGUSD"
    assert candles[:2] == [recorded(START - 2 * HOUR), recorded(START - HOUR)]
    assert candles[2][0] == at(START) and ticker["last"] == pytest.approx(recorded(START)[1])


def test_constructor_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="candle open"):
        ReplayExchange({"BTC/USD": CANDLES}, start=START + timedelta(minutes=5), end=START)
    with pytest.raises(ValueError, match="No market 'BTC/EUR'"):
        ReplayExchange({"BTC/EUR": CANDLES}, start=START, end=START)
    with pytest.raises(ValueError, match=r"lack column\(s\) \['volume'\]"):
        ReplayExchange({"BTC/USD": CANDLES.drop(columns="volume")}, start=START, end=START)


KRAKEN_BTC = SHARED_DATA / "kraken" / "raw" / "XBTUSD_60.csv"


@pytest.mark.skipif(not KRAKEN_BTC.is_file(), reason=f"{KRAKEN_BTC} absent")
def test_real_kraken_candles_replay_without_future_values() -> None:
    raw = pd.read_csv(
        KRAKEN_BTC, header=None, names=["time", "open", "high", "low", "close", "volume", "trades"]
    )
    raw["date"] = pd.to_datetime(raw["time"], unit="s", utc=True)
    frame = raw[(raw["date"] >= "2022-11-01") & (raw["date"] < "2022-11-15")].drop(columns="time")
    start = datetime(2022, 11, 8, 12, tzinfo=UTC)  # inside the FTX crash
    with ReplayExchange({"BTC/USD": frame}, start=start, end=start + 3 * HOUR) as server:
        api = ccxt.kraken({**server.ccxt_urls(), "enableRateLimit": False})
        raw_rows = api.publicGetOHLC({"pair": "XXBTZUSD", "interval": 60})["result"]["XXBTZUSD"]
        candles = api.fetch_ohlcv("BTC/USD", "1h")
        in_progress = frame[frame["date"] == start].iloc[0]
        assert candles[-1] == [at(start), *[in_progress["open"]] * 4, 0.0]
        previous = frame[frame["date"] == start - HOUR].iloc[0]
        assert candles[-2][1:] == list(previous[["open", "high", "low", "close", "volume"]])
        assert raw_rows[-2][7] == previous["trades"]
        assert len(candles) == (frame["date"] <= start).sum()
        # Kraken's recorded open is the first trade of the hour, not always the last close.
        assert in_progress["open"] != previous["close"]
        assert api.fetch_ticker("BTC/USD")["last"] == in_progress["open"]
        server.advance()
        assert api.fetch_ohlcv("BTC/USD", "1h")[-2][4] == in_progress["close"]
