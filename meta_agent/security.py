"""Refuse configurations that would expose the bot (checked by the launcher before Freqtrade
starts its API server, and when a MetaRL strategy starts trading, dry-run or live), and keep
secrets from the environment out of logs and messages."""

from __future__ import annotations

import io
import ipaddress
import logging
import os
import re
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from meta_agent.errors import ConfigError

#: Freqtrade's schema fills this in when no JWT secret is configured.
DEFAULT_JWT_SECRET = "somethingRandomSomethingRandom123"
#: An API server reachable beyond this machine needs a password at least this long.
MIN_PASSWORD_LENGTH = 12
#: ... and a JWT secret at least this long (Freqtrade's schema asks as much).
MIN_JWT_SECRET_LENGTH = 32
#: Passwords too common to guard a server (lower case; :func:`_is_common_password`).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012", "1q2w3e4r5t6y", "abc123", "abcdefghijkl", "admin", "administrator",
        "changeme", "dragon", "football", "freqtrade", "freqtrader", "frequi", "iloveyou",
        "letmein", "master", "monkey", "passw0rd", "password", "qwerty", "qwertyuiop", "secret",
        "sunshine", "trustno1", "welcome",
    }
)  # fmt: skip
_PASSWORD_RULE = (
    f"at least {MIN_PASSWORD_LENGTH} characters, not only whitespace, not one repeated "
    "character, not a common password, not the username"
)
_JWT_SECRET_RULE = (
    f"at least {MIN_JWT_SECRET_LENGTH} characters of your own, not Freqtrade's default, "
    "not the password"
)
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


def starts_api_server(command: str | None, config: Mapping[str, Any]) -> bool:
    """Whether Freqtrade's subcommand ``command`` starts its API server on ``config``:
    ``webserver`` always (standalone), ``trade`` when ``api_server.enabled`` is set."""
    api = config.get("api_server") or {}
    return command == "webserver" or (command == "trade" and bool(api.get("enabled")))


def check_freqtrade_command(argv: Sequence[str]) -> None:
    """Before Freqtrade runs the command line ``argv`` (``webserver --config ...``): when its
    subcommand starts the API server (:func:`starts_api_server`), :func:`check_api_server` on
    the config Freqtrade will merge. Arguments or configs that Freqtrade itself refuses are
    left to it: it stops on them before any server starts."""
    from freqtrade.commands import Arguments
    from freqtrade.exceptions import OperationalException

    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            args = Arguments(list(argv)).get_parsed_arg()  # argparse exits on --help and errors
    except SystemExit:
        return
    command = args.get("command")
    if command not in ("trade", "webserver"):
        return
    try:
        config = freqtrade_config(args.get("config") or [])
    except OperationalException:
        return
    if starts_api_server(command, config):
        check_api_server(config, standalone=command == "webserver")


def freqtrade_config(files: Sequence[str]) -> dict[str, Any]:
    """The config files (``-``: stdin, read again by Freqtrade) merged with the ``FREQTRADE__``
    environment variables, as :meth:`freqtrade.configuration.Configuration.load_config` begins;
    its later steps leave ``api_server`` alone."""
    from freqtrade.configuration.environment_vars import environment_vars_to_dict
    from freqtrade.configuration.load_config import load_from_files
    from freqtrade.misc import deep_merge_dicts

    stdin = sys.stdin.read() if "-" in files else None
    try:
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        config = load_from_files(list(files))
    finally:
        if stdin is not None:  # Freqtrade's loader closes what it read
            sys.stdin = io.StringIO(stdin)
    return deep_merge_dicts(environment_vars_to_dict(), config)


def check_api_server(config: Mapping[str, Any], *, standalone: bool = False) -> None:
    """An API server reachable beyond this machine needs a username, a strong password
    (:func:`_password_problem`), its own JWT secret of at least :data:`MIN_JWT_SECRET_LENGTH`
    characters and exact CORS origins; one on loopback needs nothing more than Freqtrade asks.

    Args:
        config: The merged Freqtrade config.
        standalone: The server starts whatever ``api_server.enabled`` says (``webserver``).

    Raises:
        ConfigError: One line naming each failing key and what it allows.
    """
    api = config.get("api_server") or {}
    if not (standalone or api.get("enabled")):
        return
    address = str(api.get("listen_ip_address", "127.0.0.1"))
    if _is_loopback(address):
        return
    problems = api_server_problems(api)
    if problems:
        raise ConfigError(
            f"Refusing to start: the API server listens on {address}, beyond this machine, and "
            f"{'; '.join(problems)}. Listen on 127.0.0.1, or fix them (secrets from the "
            "environment: FREQTRADE__API_SERVER__USERNAME, __PASSWORD, __JWT_SECRET_KEY)."
        )


def api_server_problems(api: Mapping[str, Any]) -> list[str]:
    """What keeps the ``api_server`` section ``api`` from being exposed beyond loopback, one
    entry per failing key (empty: nothing)."""
    username = str(api.get("username") or "")
    password = str(api.get("password") or "")
    jwt_secret = str(api.get("jwt_secret_key", DEFAULT_JWT_SECRET) or "")
    found = [
        _username_problem(username),
        _password_problem(password, username),
        _jwt_secret_problem(jwt_secret, password),
        _cors_problem(api.get("CORS_origins") or []),
    ]
    return [problem for problem in found if problem]


def _username_problem(username: str) -> str | None:
    if username.strip():
        return None
    return _problem("username", "is only whitespace" if username else "is empty", "any name")


def _password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is too weak to guard an API server beyond loopback, or None."""
    if not password:
        reason = "is empty"
    elif not password.strip():
        reason = "is only whitespace"
    elif len(password) < MIN_PASSWORD_LENGTH:
        reason = f"has {len(password)} characters"
    elif len(set(password)) == 1:
        reason = "repeats one character"
    elif _is_common_password(password):
        reason = "is a common password"
    elif password.casefold() == username.casefold():
        reason = "equals `api_server.username`"
    else:
        return None
    return _problem("password", reason, _PASSWORD_RULE)


def _is_common_password(password: str) -> bool:
    """Whether ``password`` is one of :data:`COMMON_PASSWORDS`, also in other case or with
    digits, punctuation or spaces around it (``Password1234!``)."""
    folded = password.casefold()
    core = folded.strip(string.digits + string.punctuation + string.whitespace)
    return folded in COMMON_PASSWORDS or core in COMMON_PASSWORDS


def _jwt_secret_problem(secret: str, password: str) -> str | None:
    """Why ``secret`` cannot sign the API's tokens beyond loopback, or None."""
    if secret in ("", DEFAULT_JWT_SECRET):
        reason = "is empty or Freqtrade's public default"
    elif len(secret) < MIN_JWT_SECRET_LENGTH:
        reason = f"has {len(secret)} characters"
    elif secret == password:
        reason = "equals `api_server.password`"
    else:
        return None
    return _problem("jwt_secret_key", reason, _JWT_SECRET_RULE)


def _cors_problem(origins: Iterable[object]) -> str | None:
    """Why the CORS origins ``origins`` would let any web page use the API, or None."""
    wildcards = [str(origin) for origin in origins if "*" in str(origin)]
    if not wildcards:
        return None
    return _problem("CORS_origins", f"holds {wildcards}", "exact origins, no `*`")


def _problem(key: str, reason: str, allowed: str) -> str:
    return f"`api_server.{key}` {reason} (allowed: {allowed})"


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address.casefold() == "localhost"


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
