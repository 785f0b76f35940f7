"""A local Kraken for dry-run replays: ccxt's public ``kraken`` calls over recorded candles.

The server answers on 127.0.0.1 in a daemon thread. Point ccxt at it with
:meth:`ReplayExchange.ccxt_urls` (Freqtrade: ``exchange.ccxt_config`` and ``ccxt_async_config``);
ccxt then requests ``<url>/0/public/<Method>?...``. A replay clock, moved one timeframe at a time
by :meth:`ReplayExchange.advance` or ``POST /replay/advance``, bounds every answer: closed candles
carry their recorded values, the candle in progress only its recorded open, later ones none.
"""

from __future__ import annotations

import json
import math
import threading
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import ccxt
import numpy as np
import pandas as pd

from meta_agent.offline import load_snapshot

OHLC_LIMIT = 720  # Kraken serves at most the 720 most recent candles of an interval
RESAMPLED_INTERVALS = (240, 1440)  # minutes served by resampling the recorded timeframe
BOOK_SPREAD = 0.0001  # relative distance between two order-book levels
DAY = 86400
_EPOCH = pd.Timestamp(0, tz="UTC")
_CANDLE_COLUMNS = ("date", "open", "high", "low", "close", "volume")
_FEAR_GREED_COLUMNS = ("date", "value", "value_classification")
#: Where the replay serves the Fear & Greed index (alternative.me's ``/fng/`` answers).
FEAR_GREED_ROUTE = "/feeds/fear_greed"

Query = dict[str, str]


class _KrakenError(Exception):
    """An answer in Kraken's error layout, e.g. ``EQuery:Unknown asset pair``."""


def _num(value: float) -> str:
    """Shortest decimal text that reads back as the same float (Kraken sends prices as text)."""
    return str(np.format_float_positional(float(value), trim="-"))


def _decimals(step: float) -> int:
    return max(0, round(-math.log10(step)))


def _seconds(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((pd.to_datetime(dates, utc=True) - _EPOCH) // pd.Timedelta(seconds=1))


def kraken_markets(markets: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``AssetPairs`` and ``Assets`` results (Kraken's raw layout) of unified ccxt markets.

    ccxt rebuilds precision from ``pair_decimals``/``lot_decimals``, so only powers of ten survive,
    and it sets no minimum price: the snapshot's ``limits.price`` is not expressible.
    """
    pairs: dict[str, Any] = {}
    assets: dict[str, Any] = {}
    for market in markets.values():
        info = market.get("info") or {}
        wsname = str(info.get("wsname", f"{market['base']}/{market['quote']}"))
        base_alt, quote_alt = wsname.split("/")
        lot = _decimals(market["precision"]["amount"])
        pair: dict[str, Any] = {
            "altname": info.get("altname", market["id"]),
            "wsname": wsname,
            "base": market["baseId"],
            "quote": market["quoteId"],
            "pair_decimals": _decimals(market["precision"]["price"]),
            "lot_decimals": lot,
            "leverage_buy": [],  # spot only
            "tick_size": _num(market["precision"]["price"]),
            "status": "online" if market.get("active", True) else "cancel_only",
        }
        for key, rate in (("fees", market.get("taker")), ("fees_maker", market.get("maker"))):
            if rate is not None:  # Kraken gives fee tiers in percent
                pair[key] = [[0, float(Decimal(str(rate)) * 100)]]
        for key, limit in (("ordermin", "amount"), ("costmin", "cost")):
            if market["limits"][limit].get("min") is not None:
                pair[key] = _num(market["limits"][limit]["min"])
        pairs[market["id"]] = pair
        # Currency decimals finer than the lot keep ccxt from coarsening the amount precision.
        for asset_id, altname in ((market["baseId"], base_alt), (market["quoteId"], quote_alt)):
            asset = assets.setdefault(asset_id, {"aclass": "currency", "altname": altname})
            asset.update(decimals=max(lot, asset.get("decimals", 0)), status="enabled")
            asset["display_decimals"] = min(asset["decimals"], 5)
    return pairs, assets


class ReplayExchange:
    """Kraken's public REST API over recorded ``candles`` (symbol -> UTC ``date`` + OHLCV).

    Args:
        candles: candles of ``timeframe`` per snapshot symbol; ``date`` is the candle open.
        start: first clock time; must be a candle open of ``timeframe``.
        end: the clock never passes it.
        timeframe: the recorded timeframe; 4h and 1d (if multiples) are served by resampling.
        snapshot_exchange: the market snapshot ``AssetPairs`` is built from.
        fear_greed: daily ``date``, ``value``, ``value_classification`` served at
            ``/feeds/fear_greed`` as alternative.me's ``/fng/``; a day is published once it ended.
        host, port: where to listen; port 0 picks a free port.

    Attributes:
        requests: every request target served (``/0/public/OHLC?pair=...``), in order.

    The current price (ticker, order-book middle) is the recorded open of the candle in progress,
    where a backtest fills an order decided on the last closed candle; it is also the partial
    candle's open/high/low/close. OHLC ``since`` keeps, of the 720 most recent candles, those
    opening after it (ccxt asks for one timeframe before the wanted first candle).
    """

    def __init__(
        self,
        candles: dict[str, pd.DataFrame],
        *,
        start: datetime,
        end: datetime,
        timeframe: str = "1h",
        snapshot_exchange: str = "kraken",
        fear_greed: pd.DataFrame | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.timeframe = timeframe
        self._tf = int(ccxt.Exchange.parse_timeframe(timeframe))
        self._now, self._end = int(start.timestamp()), int(end.timestamp())
        if self._now % self._tf or self._end < self._now:
            raise ValueError(
                f"The 'start' parameter of ReplayExchange must be a {timeframe} candle open not "
                f"after 'end'. Got start={start}, end={end} instead."
            )
        markets = load_snapshot(snapshot_exchange).markets
        self._pairs, self._assets = kraken_markets(markets)
        self._ids = {pair["altname"]: pid for pid, pair in self._pairs.items()}
        self._ids.update({pid: pid for pid in self._pairs})
        self._frames: dict[tuple[str, int], pd.DataFrame] = {}
        for symbol, frame in candles.items():
            if symbol not in markets:
                raise ValueError(f"No market '{symbol}' in the {snapshot_exchange} snapshot.")
            missing = [c for c in _CANDLE_COLUMNS if c not in frame.columns]
            if missing:
                raise ValueError(f"The candles of '{symbol}' lack column(s) {missing}.")
            prepared = frame.assign(time=_seconds(frame["date"]))
            prepared["trades"] = frame.get("trades", 0)
            prepared = prepared.sort_values("time").drop_duplicates("time", keep="last")
            self._frames[markets[symbol]["id"], self._tf // 60] = prepared.reset_index(drop=True)
        self._fear_greed = None
        if fear_greed is not None:
            missing = [c for c in _FEAR_GREED_COLUMNS if c not in fear_greed.columns]
            if missing:
                raise ValueError(f"The fear_greed frame lacks column(s) {missing}.")
            days = fear_greed.assign(
                time=_seconds(pd.to_datetime(fear_greed["date"]).dt.floor("1D"))
            )
            self._fear_greed = days.sort_values("time", ascending=False).reset_index(drop=True)
        self.requests: list[str] = []
        self._failing: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def now(self) -> datetime:
        """The replay clock (UTC); answers show nothing after it."""
        return datetime.fromtimestamp(self._now, UTC)

    @property
    def end(self) -> datetime:
        """The last clock time."""
        return datetime.fromtimestamp(self._end, UTC)

    @property
    def done(self) -> bool:
        """Whether the clock has reached ``end``."""
        return self._now >= self._end

    def ccxt_urls(self) -> dict[str, Any]:
        """ccxt constructor config that sends ccxt's Kraken calls here."""
        return {"urls": {"api": {"public": self.url, "private": self.url}}}

    @property
    def fear_greed_url(self) -> str:
        """``meta_rl.live_feeds.fear_greed_url`` for this replay: every published day."""
        return f"{self.url}{FEAR_GREED_ROUTE}?limit=0&format=json"

    def advance(self) -> datetime:
        """Move the clock one timeframe forward (never past ``end``); returns the new time."""
        with self._lock:
            self._now = min(self._now + self._tf, self._end)
        return self.now

    def fail_route(self, prefix: str, from_time: datetime | None) -> None:
        """Answer HTTP 503 to paths starting with ``prefix`` once the clock reaches ``from_time``;
        ``None`` stops failing."""
        with self._lock:
            if from_time is None:
                self._failing.pop(prefix, None)
            else:
                self._failing[prefix] = int(from_time.timestamp())

    def start(self) -> ReplayExchange:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayExchange:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _clock(self) -> dict[str, Any]:
        return {"now": self._now, "end": self._end, "done": self.done}

    def _answer(self, method: str, target: str) -> tuple[int, Any]:
        """HTTP status and JSON body (``None``: a plain-text error) for one request."""
        parsed = urlparse(target)
        query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
        with self._lock:
            self.requests.append(target)
            now = self._now
            if any(parsed.path.startswith(p) and now >= t for p, t in self._failing.items()):
                return 503, None
        path = parsed.path.rstrip("/")
        if method == "POST":
            if path == "/replay/advance":
                self.advance()
                return 200, self._clock()
            return 404, None
        if path == "/replay/clock":
            return 200, self._clock()
        if path == FEAR_GREED_ROUTE and self._fear_greed is not None:
            return 200, self._fear_greed_answer(self._fear_greed, query, now)
        routes = {
            "AssetPairs": lambda q, t: self._pairs,
            "Assets": lambda q, t: self._assets,
            "OHLC": self._ohlc,
            "Ticker": self._tickers,
            "Depth": self._depth,
            # The replay clock, as Freqtrade's own clock must be (it warns on a deviation).
            "Time": lambda q, t: {"unixtime": t, "rfc1123": formatdate(t, usegmt=True)},
            "SystemStatus": lambda q, t: {"status": "online", "timestamp": _iso(t)},
        }
        route = routes.get(path.removeprefix("/0/public/"))
        if not path.startswith("/0/public/") or route is None:
            return 404, {"error": ["EGeneral:Unknown method"], "result": {}}
        try:
            return 200, {"error": [], "result": route(query, now)}
        except _KrakenError as err:
            return 200, {"error": [str(err)], "result": {}}
        except ValueError:  # a parameter that is no number
            return 200, {"error": ["EGeneral:Invalid arguments"], "result": {}}

    def _pair(self, name: str | None) -> str:
        pair = self._ids.get(name or "", "")
        if (pair, self._tf // 60) not in self._frames:
            raise _KrakenError("EQuery:Unknown asset pair")
        return pair

    def _candles(self, pair: str, minutes: int) -> pd.DataFrame:
        base = self._tf // 60
        if (pair, minutes) not in self._frames:
            if minutes not in RESAMPLED_INTERVALS or minutes % base:
                raise _KrakenError("EGeneral:Invalid arguments")
            frame = self._frames[pair, base]
            indexed = frame.set_index(pd.to_datetime(frame["time"], unit="s", utc=True))
            agg = {"open": "first", "high": "max", "low": "min", "close": "last"}
            rules = agg | {"volume": "sum", "trades": "sum", "time": "first"}
            resampled = indexed.resample(
                f"{minutes}min", label="left", closed="left", origin="epoch"
            ).agg(rules)
            resampled = resampled.dropna(subset=["open"])
            first_open = resampled.pop("time")  # a bucket shows from its first recorded candle on
            resampled = resampled.assign(time=_seconds(resampled.index), first=first_open)
            with self._lock:
                self._frames[pair, minutes] = resampled.reset_index(drop=True)
        return self._frames[pair, minutes]

    def _ohlc(self, query: Query, now: int) -> dict[str, Any]:
        """Up to 720 candles up to ``now``; with ``since``, only those opening after it."""
        pair = self._pair(query.get("pair"))
        minutes = int(query.get("interval", "1"))
        frame = self._candles(pair, minutes)
        visible = frame[frame.get("first", frame["time"]) <= now].iloc[-OHLC_LIMIT:]
        closed = visible[visible["time"] + minutes * 60 <= now]
        if "since" in query:
            visible = visible[visible["time"] > int(query["since"])]
        rows: list[list[Any]] = []
        for c in visible.itertuples():
            if c.time + minutes * 60 > now:  # in progress: only its open is known
                rows.append([int(c.time), *[_num(c.open)] * 5, "0", 0])
            else:
                vwap = (c.high + c.low + c.close) / 3  # no trades recorded: typical price
                prices = (c.open, c.high, c.low, c.close, vwap, c.volume)
                rows.append([int(c.time), *map(_num, prices), int(c.trades)])
        last = int(closed["time"].iloc[-1]) if len(closed) else int(query.get("since", 0))
        return {pair: rows, "last": last}

    def _price(self, pair: str, now: int) -> float:
        """The open of the candle in progress, else (a gap) the last close."""
        frame = self._frames[pair, self._tf // 60]
        known = frame[frame["time"] <= now]
        if known.empty:
            raise _KrakenError("EService:Unavailable")
        row = known.iloc[-1]
        return float(row["open"] if row["time"] + self._tf > now else row["close"])

    def _tickers(self, query: Query, now: int) -> dict[str, Any]:
        """Ticker at the current price; 24h figures over the closed candles of the last day."""
        names = query["pair"].split(",") if "pair" in query else [p for p, _ in self._frames]
        tickers: dict[str, Any] = {}
        for pair in map(self._pair, names):
            price = _num(self._price(pair, now))
            frame = self._frames[pair, self._tf // 60]
            day = frame[(frame["time"] >= now - DAY) & (frame["time"] + self._tf <= now)]
            volume = float(day["volume"].sum())
            typical = (day["high"] + day["low"] + day["close"]) / 3
            vwap = _num((typical * day["volume"]).sum() / volume) if volume else price
            low = _num(day["low"].min()) if len(day) else price
            high = _num(day["high"].max()) if len(day) else price
            count = int(day["trades"].sum())
            tickers[pair] = {
                "a": [price, "1", "1.000"],
                "b": [price, "1", "1.000"],
                "c": [price, "0"],
                "v": [_num(volume)] * 2,
                "p": [vwap] * 2,
                "t": [count, count],
                "l": [low, low],
                "h": [high, high],
                "o": _num(day["open"].iloc[0]) if len(day) else price,
            }
        return tickers

    def _depth(self, query: Query, now: int) -> dict[str, Any]:
        """``count`` levels (default 100, at most 500) each side, ``BOOK_SPREAD`` apart."""
        pair = self._pair(query.get("pair"))
        price = self._price(pair, now)
        levels = range(1, min(int(query.get("count", "100")), 500) + 1)
        size = _num(1e6 / price)
        bids = [[_num(price * (1 - k * BOOK_SPREAD)), size, now] for k in levels]
        asks = [[_num(price * (1 + k * BOOK_SPREAD)), size, now] for k in levels]
        return {pair: {"bids": bids, "asks": asks}}

    @staticmethod
    def _fear_greed_answer(frame: pd.DataFrame, query: Query, now: int) -> dict[str, Any]:
        """alternative.me's ``/fng/`` layout, newest first; ``limit=0``: all (default 1)."""
        published = frame[frame["time"] + DAY <= now]
        limit = int(query.get("limit", "1"))
        if limit > 0:
            published = published.head(limit)
        data: list[dict[str, str]] = [
            {
                "value": _num(r.value),
                "value_classification": str(r.value_classification),
                "timestamp": str(int(r.time)),
            }
            for r in published.itertuples()
        ]
        if data:
            data[0]["time_until_update"] = str(int(data[0]["timestamp"]) + 2 * DAY - now)
        return {"name": "Fear and Greed Index", "data": data, "metadata": {"error": None}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                status, body = replay._answer(method, self.path)
                payload = (HTTPStatus(status).phrase if body is None else json.dumps(body)).encode()
                kind = "text/plain" if body is None else "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._reply("POST")

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call(url: str, method: str) -> dict[str, Any]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def clock_from_server(url: str) -> dict[str, Any]:
    """``{"now", "end", "done"}`` of the replay server at ``url`` (unix seconds)."""
    return _call(f"{url.rstrip('/')}/replay/clock", "GET")


def advance_server(url: str) -> dict[str, Any]:
    """Move the clock of the replay server at ``url`` one timeframe on; returns the new clock."""
    return _call(f"{url.rstrip('/')}/replay/advance", "POST")
