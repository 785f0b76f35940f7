"""Refuse configurations that would expose the bot (checked when a MetaRL strategy starts
trading, dry-run or live), and keep secrets from the environment out of logs and messages."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Iterable
from typing import Any

from meta_agent.errors import ConfigError

#: Freqtrade's schema fills this in when no JWT secret is configured.
DEFAULT_JWT_SECRET = "somethingRandomSomethingRandom123"
#: An API server reachable beyond this machine needs a password at least this long.
MIN_PASSWORD_LENGTH = 12
#: Environment variables whose name contains one of these words hold a secret.
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE|API_?KEY|__KEY$|WEBHOOK")
#: Shorter values are not treated as secrets (``true``, ``0``): redacting them would garble text.
_MIN_SECRET_LENGTH = 8
_SECRET_PARAM = re.compile(
    r"((?:auth_)?token|api_?key|apikey|secret|password|passphrase|signature)=([^&\s'\"<>]+)",
    re.IGNORECASE,
)
REDACTED = "***"


def environment_secrets() -> list[str]:
    """Values of environment variables whose names say they hold a secret, longest first."""
    values = {
        value
        for name, value in os.environ.items()
        if _SECRET_NAME.search(name.upper()) and len(value) >= _MIN_SECRET_LENGTH
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret (``secrets`` and those of the environment) and the value of
    every secret-named query parameter (``auth_token=...``) replaced by ``***``."""
    for secret in sorted({*secrets, *environment_secrets()}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return _SECRET_PARAM.sub(rf"\1={REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` (urllib3 logs request URLs at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_logger(name: str) -> None:
    """Attach one :class:`RedactingFilter` to logger ``name`` (idempotent)."""
    target = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


def check_api_server(config: dict[str, Any]) -> None:
    """An API server reachable beyond this machine needs a username, a password of at least
    :data:`MIN_PASSWORD_LENGTH` characters that differs from it, and its own JWT secret."""
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
    problems = _credential_problems(str(api.get("username") or ""), str(api.get("password") or ""))
    if api.get("jwt_secret_key", DEFAULT_JWT_SECRET) in ("", DEFAULT_JWT_SECRET):
        problems.append(
            "`api_server.jwt_secret_key` is empty or Freqtrade's public default (set "
            "FREQTRADE__API_SERVER__JWT_SECRET_KEY)"
        )
    if problems:
        raise ConfigError(
            f"Refusing to start: the API server listens on {address}, beyond this machine, "
            f"and {' and '.join(problems)}. Use 127.0.0.1, or set them from the environment."
        )


def _credential_problems(username: str, password: str) -> list[str]:
    if not username:
        problems = ["`api_server.username` is empty (set FREQTRADE__API_SERVER__USERNAME)"]
    else:
        problems = []
    if not password:
        problems.append("`api_server.password` is empty (set FREQTRADE__API_SERVER__PASSWORD)")
    elif len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"`api_server.password` has {len(password)} characters (at least "
            f"{MIN_PASSWORD_LENGTH} required)"
        )
    elif password == username:
        problems.append("`api_server.password` equals `api_server.username`")
    return problems


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
