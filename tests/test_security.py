"""Secrets stay out of the repository; an exposed API server needs its own credentials; Telegram
commands come only from listed users."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from meta_agent.errors import ConfigError
from meta_agent.security import DEFAULT_JWT_SECRET, check_api_server, check_telegram

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SECRET_KEYS = {"key", "secret", "password", "jwt_secret_key", "ws_token", "token", "chat_id"}


def committed_json() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.json"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [PROJECT_ROOT / name for name in listed if not name.startswith("meta_agent/snapshots")]


def secrets_in(node: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key in SECRET_KEYS and value not in ("", None, [], {}):
                found.append(where)
            found += secrets_in(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += secrets_in(item, f"{path}[{index}]")
    return found


_CREDENTIAL_KEYS = "|".join(
    (
        r"api_?key",
        r"private_?key",
        r"secret(?:_?key)?",
        "password",
        "passphrase",
        "jwt_secret_key",
        "ws_token",
        "token",
        "key",
        "uid",
    )
)
#: Each pattern's last group is the secret. Values shorter than 8 characters, references to the
#: environment (``${VAR}``) and redactions (``***``) are not secrets.
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "credential": re.compile(
        rf"""(?i)["']?\b({_CREDENTIAL_KEYS})\b["']?\s*[:=]\s*["']([^"'\s$*{{<]{{8,}})["']"""
    ),
    "YAML credential": re.compile(
        rf"""(?im)^\s*({_CREDENTIAL_KEYS})\s*:\s*([^\s"'#{{}}\[\]$*<]{{8,}})\s*$"""
    ),
    "webhook URL": re.compile(
        r"(?i)(hooks\.slack\.com/services/[\w/]{8,}|discord(?:app)?\.com/api/webhooks/\d+/"
        r"[\w-]{8,}|api\.telegram\.org/bot\d+:[\w-]{8,})"
    ),
    "URL with a token": re.compile(
        r"(?i)https?://[^\s\"'<>]*[?&](?:auth_)?(?:token|key|apikey|api_key|secret|password)="
        r"([^&\s\"'<>{$*]{8,})"
    ),
    "URL with a password": re.compile(
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:([^@\s/\"'<>{$*]+)@"
    ),
}
#: Credentials of throw-away test configs (written to a temporary folder, never used elsewhere).
TEST_ONLY_VALUES = {"replay-only-jwt-secret-", "replay-only-ws-token"}


def tracked_text_files() -> list[Path]:
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    paths = [PROJECT_ROOT / name for name in listed if name]
    return [path for path in paths if path.is_file() and b"\0" not in path.read_bytes()[:8192]]


def secrets_in_text(text: str) -> list[str]:
    """``pattern: match`` for every committed-secret pattern found in ``text``."""
    found = []
    for kind, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            if match.group(match.lastindex or 0) not in TEST_ONLY_VALUES:
                found.append(f"{kind}: {match.group(0)}")
    return found


def test_no_tracked_file_holds_a_secret() -> None:
    files = tracked_text_files()
    assert PROJECT_ROOT / "meta_agent" / "security.py" in files and len(files) > 100
    found = {
        str(path.relative_to(PROJECT_ROOT)): hits
        for path in files
        if (hits := secrets_in_text(path.read_text(errors="replace")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "text",
    [
        "exchange = ccxt.kraken({'apiKey': 'K" + "3y" * 10 + "', 'secret': 'x'})",
        'api = ccxt.binance({"privateKey": "0x' + "ab" * 16 + '"})',
        "exchange:\n  name: kraken\n  secret: " + "Zm9v" * 6 + "\n",
        "password = '" + "hunter2" * 2 + "'",
        "webhook: https://hooks.slack.com/services/" + "T000/B000/" + "x" * 24,
        "url = 'https://discord.com/api/webhooks/" + "123456/" + "abc-" * 8 + "'",
        "send('https://api.telegram.org/bot" + "12345:" + "AAH" * 10 + "/sendMessage')",
        "https://cryptopanic.com/api/v1/posts/?auth_token=" + "f00d" * 8,
        '"db_url": "postgresql+psycopg://ft:' + "pw" * 6 + '@db.example.com/trades"',
    ],
)
def test_the_text_scanner_finds_each_kind_of_secret(text: str) -> None:
    assert secrets_in_text(text) != []


@pytest.mark.parametrize(
    "text",
    [
        '"key": "", "secret": ""',
        "token_env: str = 'CRYPTOPANIC_TOKEN'",
        '"db_url": "sqlite:///tradesv3.sqlite"',
        "FREQTRADE__API_SERVER__PASSWORD=${API_PASSWORD}",
        "jwt_secret_key = os.environ['JWT']",
    ],
)
def test_the_text_scanner_passes_empty_values_and_references(text: str) -> None:
    assert secrets_in_text(text) == []


@pytest.mark.parametrize(
    ("name", "ignored"), [(".env", True), (".env.local", True), (".env.prod", True),
                          (".env.example", False)]
)  # fmt: skip
def test_env_files_are_git_ignored_except_the_example(name: str, ignored: bool) -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", name], cwd=PROJECT_ROOT, check=False
    )
    assert (result.returncode == 0) is ignored, name


def test_no_committed_config_holds_a_secret() -> None:
    files = committed_json()
    assert PROJECT_ROOT / "config.json" in files and PROJECT_ROOT / "config.futures.json" in files
    for path in files:
        assert secrets_in(json.loads(path.read_text())) == [], path


def test_the_secret_finder_finds_secrets() -> None:
    config = {"exchange": {"key": "abc"}, "telegram": {"token": ""}, "x": [{"password": "p"}]}
    assert secrets_in(config) == ["exchange.key", "x[0].password"]


@pytest.mark.parametrize("config", ["config.json", "config.futures.json"])
def test_shipped_configs_pass_freqtrades_own_validation(config: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "meta_agent", "freqtrade", "--offline", "--", "show-config",
         "--config", config],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert '"dry_run": true' in result.stdout


def api(**settings: Any) -> dict[str, Any]:
    return {"api_server": {"enabled": True, "listen_ip_address": "127.0.0.1", **settings}}


def test_loopback_or_disabled_api_needs_nothing() -> None:
    check_api_server(api(password=""))
    check_api_server({"api_server": {"enabled": False, "listen_ip_address": "0.0.0.0"}})


STRONG = "correct-" + "horse-battery"  # split: the committed-secret scan reads this file
JWT = "j" * 40
NAME = "freqtrader-bot"


def exposed(**settings: Any) -> dict[str, Any]:
    return api(**{"listen_ip_address": "0.0.0.0", "username": "freqtrader"} | settings)


def test_exposed_api_without_password_or_own_jwt_secret_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"listens on 0\.0\.0\.0.*`api_server\.password` is empty"
    ):
        check_api_server(exposed(password=""))
    with pytest.raises(ConfigError, match="public default"):
        check_api_server(exposed(password=STRONG, jwt_secret_key=DEFAULT_JWT_SECRET))
    check_api_server(exposed(password=STRONG, jwt_secret_key=JWT))


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"password": "x"}, r"`api_server\.password` has 1 characters \(at least 12 required\)"),
        ({"password": "s3cret-" + "pw12"}, r"has 11 characters"),
        ({"username": NAME, "password": NAME}, "equals `api_server.user"),
        ({"username": "", "password": STRONG}, r"`api_server\.username` is empty"),
    ],
)
def test_exposed_api_needs_a_strong_password_and_a_username(
    settings: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_api_server(exposed(jwt_secret_key=JWT, **settings))
    check_api_server(api(jwt_secret_key=JWT, **settings))  # loopback: Freqtrade's own rules


def test_telegram_commands_need_listed_users() -> None:
    check_telegram({"telegram": {"enabled": False}})
    with pytest.raises(ConfigError, match=r"`telegram.authorized_users` is absent"):
        check_telegram({"telegram": {"enabled": True, "token": "t", "chat_id": "1"}})
    with pytest.raises(ConfigError, match=r"is empty.*AUTHORIZED_USERS"):
        check_telegram({"telegram": {"enabled": True, "authorized_users": []}})
    check_telegram({"telegram": {"enabled": True, "authorized_users": ["123456789"]}})


def test_an_empty_jwt_secret_counts_as_unset() -> None:
    with pytest.raises(ConfigError, match="empty or Freqtrade's public default"):
        check_api_server(exposed(password=STRONG, jwt_secret_key=""))


def test_docker_compose_keeps_secrets_in_a_git_ignored_env_file() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["metarl"]
    assert service["image"].startswith("freqtradeorg/freqtrade:") and "freqairl" in service["image"]
    assert service["env_file"][0]["path"] == ".env"
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert "/api/v1/ping" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] == "unless-stopped"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT, check=False
    ).returncode
    assert ignored == 0, ".env must be git-ignored"


def test_env_example_names_every_secret_with_an_empty_value() -> None:
    values = dict(
        line.split("=", 1)
        for line in (PROJECT_ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for name in (
        "FREQTRADE__EXCHANGE__KEY",
        "FREQTRADE__EXCHANGE__SECRET",
        "FREQTRADE__API_SERVER__USERNAME",
        "FREQTRADE__API_SERVER__PASSWORD",
        "FREQTRADE__API_SERVER__JWT_SECRET_KEY",
        "FREQTRADE__API_SERVER__WS_TOKEN",
        "FREQTRADE__TELEGRAM__TOKEN",
        "FREQTRADE__TELEGRAM__CHAT_ID",
    ):
        assert values[name] == "", name
    assert values["FREQTRADE__TELEGRAM__AUTHORIZED_USERS"] == "[]"
