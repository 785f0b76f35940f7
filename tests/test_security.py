"""Secrets stay out of the repository; an exposed API server needs its own credentials; Telegram
commands come only from listed users."""

from __future__ import annotations

import json
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


def test_exposed_api_without_password_or_own_jwt_secret_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"listens on 0\.0\.0\.0.*`api_server\.password` is empty"
    ):
        check_api_server(api(listen_ip_address="0.0.0.0", password=""))
    with pytest.raises(ConfigError, match="public default"):
        check_api_server(
            api(listen_ip_address="0.0.0.0", password="s3cret", jwt_secret_key=DEFAULT_JWT_SECRET)
        )
    check_api_server(api(listen_ip_address="0.0.0.0", password="s3cret", jwt_secret_key="x" * 40))


def test_telegram_commands_need_listed_users() -> None:
    check_telegram({"telegram": {"enabled": False}})
    with pytest.raises(ConfigError, match=r"`telegram.authorized_users` is absent"):
        check_telegram({"telegram": {"enabled": True, "token": "t", "chat_id": "1"}})
    with pytest.raises(ConfigError, match=r"is empty.*AUTHORIZED_USERS"):
        check_telegram({"telegram": {"enabled": True, "authorized_users": []}})
    check_telegram({"telegram": {"enabled": True, "authorized_users": ["123456789"]}})


def test_an_empty_jwt_secret_counts_as_unset() -> None:
    with pytest.raises(ConfigError, match="empty or Freqtrade's public default"):
        check_api_server(api(listen_ip_address="0.0.0.0", password="s3cret", jwt_secret_key=""))


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
