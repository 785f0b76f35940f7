"""A fake Telegram Bot API on 127.0.0.1: what python-telegram-bot calls while polling.

It answers ``getMe``, ``deleteWebhook``, ``getUpdates`` (long polling over updates the test
queues with :meth:`FakeBotApi.command`), ``sendMessage`` (recorded) and acknowledges any other
method, in the Bot API's JSON envelope (``{"ok": true, "result": ...}``). Requests whose path
holds another token get the API's 401 answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from tests.feeds.providers.server import LoopbackServer

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "MetaRL replay",
    "username": "metarl_replay_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeBotApi(LoopbackServer):
    """The Bot API for one ``token``; ``sent`` holds every ``sendMessage``'s parameters."""

    def __init__(self, token: str, poll_seconds: float = 1.0) -> None:
        self.token = token
        self.poll_seconds = poll_seconds
        self.sent: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self._updates: list[dict[str, Any]] = []
        self._dropped = 0  # updates up to this id were dropped (deleteWebhook's option)
        self._changed = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                params = _params(self.headers.get("Content-Type", ""), self.rfile.read(length))
                prefix, _, method = self.path.lstrip("/").partition("/")
                if prefix != f"bot{api.token}":
                    self._answer(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                api.calls[method] += 1
                self._answer(200, {"ok": True, "result": api.answer(method, params)})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    @property
    def base_url(self) -> str:
        """python-telegram-bot's ``base_url`` (it appends ``<token>/<method>``)."""
        return f"{self.url}/bot"

    def command(self, text: str, user_id: int, chat_id: int) -> int:
        """Queue a user's command message; returns its ``update_id``."""
        with self._changed:
            update_id = len(self._updates) + 1
            command = text.split()[0]
            self._updates.append(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": 10_000 + update_id,
                        "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
                        "text": text,
                        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
                    },
                }
            )
            self._changed.notify_all()
        return update_id

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "deleteWebhook" and str(params.get("drop_pending_updates")) == "true":
            with self._changed:
                self._dropped = len(self._updates)
            return True
        if method == "getUpdates":
            return self._pending(int(params.get("offset") or 0), float(params.get("timeout") or 0))
        if method in ("sendMessage", "editMessageText"):
            with self._changed:
                self.sent.append({"method": method, **params})
                message_id = len(self.sent)
                self._changed.notify_all()
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": str(params.get("text", "")),
            }
        return True  # deleteWebhook, setMyCommands, answerCallbackQuery, close ...

    def _pending(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        """Updates from ``offset`` on, waiting (long polling) at most ``poll_seconds``."""
        first = max(offset, self._dropped + 1)
        with self._changed:
            self._changed.wait_for(
                lambda: any(u["update_id"] >= first for u in self._updates),
                timeout=min(timeout, self.poll_seconds),
            )
            return [u for u in self._updates if u["update_id"] >= first]

    def texts(self) -> list[str]:
        with self._changed:
            return [str(message.get("text", "")) for message in self.sent]


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    """A request's parameters: JSON, or a form whose values are JSON-encoded where not text."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body))
    return {key: values[-1] for key, values in parse_qs(body.decode()).items()}
