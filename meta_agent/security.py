"""Refuse configurations that would expose the bot: checked when a MetaRL strategy starts
trading (dry-run or live)."""

from __future__ import annotations

import ipaddress
from typing import Any

from meta_agent.errors import ConfigError

#: Freqtrade's schema fills this in when no JWT secret is configured.
DEFAULT_JWT_SECRET = "somethingRandomSomethingRandom123"


def check_api_server(config: dict[str, Any]) -> None:
    """An API server reachable beyond this machine needs a password and its own JWT secret."""
    api = config.get("api_server", {})
    if not api.get("enabled"):
        return
    address = str(api.get("listen_ip_address", "127.0.0.1"))
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = address == "localhost"
    if loopback:
        return
    problems = []
    if not api.get("password"):
        problems.append("`api_server.password` is empty (set FREQTRADE__API_SERVER__PASSWORD)")
    if api.get("jwt_secret_key", DEFAULT_JWT_SECRET) in ("", DEFAULT_JWT_SECRET):
        problems.append(
            "`api_server.jwt_secret_key` is empty or Freqtrade's public default (set "
            "FREQTRADE__API_SERVER__JWT_SECRET_KEY)"
        )
    if problems:
        raise ConfigError(
            f"Refusing to start: the API server listens on {address}, beyond this machine, "
            f"and {' and '.join(problems)}. Use 127.0.0.1, or set both from the environment."
        )


def check_telegram(config: dict[str, Any]) -> None:
    """Telegram commands steer the bot: only the listed user ids may send them.

    Freqtrade lets everyone in the configured chat command the bot when
    ``telegram.authorized_users`` is absent, and nobody when it is empty.
    """
    telegram = config.get("telegram", {})
    if not telegram.get("enabled"):
        return
    users = telegram.get("authorized_users")
    if not users:
        state = "absent (everyone in the chat could command the bot)" if users is None else "empty"
        raise ConfigError(
            f"Refusing to start: Telegram is enabled and `telegram.authorized_users` is {state}. "
            "Set the Telegram user ids allowed to send commands, e.g. "
            "FREQTRADE__TELEGRAM__AUTHORIZED_USERS='[\"123456789\"]'."
        )
