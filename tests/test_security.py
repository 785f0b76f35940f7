"""Secrets stay out of the repository; an exposed API server needs its own credentials; Telegram
commands come only from listed users."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import freqtrade.main
import pytest
import yaml

from meta_agent.cli import main
from meta_agent.errors import ConfigError
from meta_agent.security import (
    DEFAULT_JWT_SECRET,
    api_server_problems,
    check_api_server,
    check_freqtrade_command,
    check_telegram,
    starts_api_server,
)

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


#: Names that hold a credential: ending in one of these words, in any case and inside longer
#: identifiers (``KRAKEN_SECRET``, ``apiSecret``, ``privateKey``, ``db_password``, ``ws_token``);
#: ``key`` and ``uid`` only alone or after ``__`` (``FREQTRADE__EXCHANGE__KEY``), since
#: ``sort_key`` or ``uuid`` hold none.
_CREDENTIAL_NAME = (
    r"(?<![\w-])(?:[\w-]*(?:secret|password|passwd|passphrase|token|api_?key|private_?key|"
    r"secret_?key|access_?key)|(?:[\w-]*__)?(?:key|uid))(?![\w-])"
)
#: A secret has no whitespace, no reference to the environment (``${VAR}``, ``$VAR``), no
#: redaction (``***``), no interpolation (``f"{token}"``) and no ``<your key>``.
_QUOTED_VALUE = r"""[^\s"'$*{}<>]{8,}"""
#: ... and, unquoted, no brackets, commas or comments either (``os.environ["KEY"]``).
_UNQUOTED_VALUE = r"""[^\s"'$*{}<>\[\](),;#]{8,}"""
#: Each pattern's group ``value`` is the secret; shorter than 8 characters it is none.
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    # Python, JSON, JavaScript, YAML, TOML or a shell; any string prefix (f"…", b'…', rb"…").
    "credential": re.compile(
        rf"""(?i){_CREDENTIAL_NAME}["']?\s*(?::|:?=)\s*[rbuft]{{0,2}}"""
        rf"""["'](?P<value>{_QUOTED_VALUE})["']"""
    ),
    # YAML (``apiSecret: …``), .env and shells (``export NAME=…``), Compose (``- NAME=…``).
    "unquoted credential": re.compile(
        rf"""(?im)^[ \t]*(?:export[ \t]+|-[ \t]+)?["']?{_CREDENTIAL_NAME}["']?"""
        rf"""(?:[ \t]*:[ \t]*|=)(?P<value>{_UNQUOTED_VALUE})[ \t]*(?:\#.*)?$"""
    ),
    "webhook URL": re.compile(
        r"(?i)(?P<value>hooks\.slack\.com/services/[\w/]{8,}|discord(?:app)?\.com/api/webhooks/"
        r"\d+/[\w-]{8,}|api\.telegram\.org/bot\d+:[\w-]{8,})"
    ),
    "URL with a token": re.compile(
        r"(?i)https?://[^\s\"'<>]*[?&](?:auth_)?(?:token|key|apikey|api_key|secret|password)="
        r"(?P<value>[^&\s\"'<>{$*]{8,})"
    ),
    "URL with a password": re.compile(
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:(?P<value>[^@\s/\"'<>{$*]+)@"
    ),
}
#: Values that only stand for a secret: ``your-api-key``, ``xxxxxxxx``, ``changeme``, the name
#: of the environment variable that holds it (``CRYPTOPANIC_TOKEN``).
PLACEHOLDER = re.compile(
    r"(?i:your[\w.-]*|(.)\1*|change[_-]?me|replace[_-]?me|placeholder)"
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
)
#: Public values: Freqtrade's default JWT secret (refused beyond loopback) and the credentials
#: of throw-away test configs (written to a temporary folder, never used elsewhere).
PUBLIC_VALUES = {DEFAULT_JWT_SECRET, "replay-only-jwt-secret-", "replay-only-ws-token"}


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
            value = match.group("value")
            if value not in PUBLIC_VALUES and not PLACEHOLDER.fullmatch(value):
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


SAMPLE = "Zm9v" * 6  # a credential-like value, joined in below: this file is scanned too


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f'KRAKEN_SECRET = "{SAMPLE}"', id="suffix-in-python"),
        pytest.param(f'kraken_Api_Secret = "{SAMPLE}"', id="mixed-case"),
        pytest.param(f"exchange:\n  apiSecret: {SAMPLE}\n", id="camel-case-in-yaml"),
        pytest.param(f"ccxt.kraken({{apiSecret: '{SAMPLE}'}})", id="camel-case-in-javascript"),
        pytest.param(f'{{"privateKey": "{SAMPLE}"}}', id="camel-case-in-json"),
        pytest.param(f"export FREQTRADE__EXCHANGE__SECRET={SAMPLE}\n", id="shell-export"),
        pytest.param(f"KRAKEN_API_KEY={SAMPLE}", id="env-file"),
        pytest.param(f"db_password = '{SAMPLE}'  # prod", id="suffix-password"),
        pytest.param(f'environment:\n  FREQTRADE__EXCHANGE__KEY: "{SAMPLE}"\n', id="compose-map"),
        pytest.param(f"environment:\n  - FREQTRADE__EXCHANGE__KEY={SAMPLE}\n", id="compose-list"),
        pytest.param(f'secret = f"{SAMPLE}"', id="f-string"),
        pytest.param(f"password = b'{SAMPLE}'", id="bytes"),
        pytest.param(f'privateKey=rb"{SAMPLE}"', id="raw-bytes"),
        pytest.param(f'API_TOKEN = F"{SAMPLE}"', id="upper-case-prefix"),
        pytest.param(f'ws_token := "{SAMPLE}"', id="walrus"),
    ],
)
def test_the_text_scanner_finds_each_spelling_of_a_credential(text: str) -> None:
    assert secrets_in_text(text) != []


@pytest.mark.parametrize(
    "text",
    [
        '"key": "", "secret": ""',
        "token_env: str = 'CRYPTOPANIC_TOKEN'",
        '"db_url": "sqlite:///tradesv3.sqlite"',
        "FREQTRADE__API_SERVER__PASSWORD=${API_PASSWORD}",
        "jwt_secret_key = os.environ['JWT']",
        pytest.param('KRAKEN_SECRET = ""', id="empty"),
        pytest.param("password = b''; token = f\"\"", id="empty-with-prefix"),
        pytest.param("export FREQTRADE__EXCHANGE__SECRET=\n", id="empty-export"),
        pytest.param("export FREQTRADE__EXCHANGE__SECRET=$KRAKEN_SECRET", id="shell-reference"),
        pytest.param('FREQTRADE__EXCHANGE__KEY: "${KRAKEN_KEY}"', id="compose-reference"),
        pytest.param("  - FREQTRADE__EXCHANGE__KEY=${KRAKEN_KEY}", id="compose-list-reference"),
        pytest.param("apiSecret: <your key>", id="angle-placeholder"),
        pytest.param('apiSecret: "<your secret>"', id="quoted-angle-placeholder"),
        pytest.param("apiKey: your-api-key", id="your-placeholder"),
        pytest.param('password: "changeme"', id="changeme"),
        pytest.param("secret = 'xxxxxxxxxxxx'", id="repeated-character"),
        pytest.param("FREQTRADE__API_SERVER__PASSWORD=********", id="redacted"),
        pytest.param('api_token = f"{prefix}{token}"', id="interpolated"),
        pytest.param('token = "CRYPTOPANIC_TOKEN"', id="variable-name"),
        pytest.param("sort_key = 'by-date-descending'; uuid = 'not-a-secret'", id="not-a-name"),
        pytest.param(f'"jwt_secret_key": "{DEFAULT_JWT_SECRET}"', id="freqtrade-default"),
        pytest.param("password: SecretStr = Field(min_length=12)", id="annotation"),
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


STRONG = "correct-" + "horse-battery"  # split: the committed-secret scan reads this file
JWT = "jwt-of-" + "this-bot-" * 4
NAME = "freqtrader-bot"
UI = "https://ui.example.com"
WEAK = {"username": "", "password": "x", "CORS_origins": ["*"]}


def exposed(**settings: Any) -> dict[str, Any]:
    return api(**{"listen_ip_address": "0.0.0.0", "username": "freqtrader"} | settings)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.5", "::1", "localhost", "LOCALHOST"])
def test_loopback_api_needs_nothing_more_than_freqtrade_asks(address: str) -> None:
    check_api_server(api(listen_ip_address=address, **WEAK))
    check_api_server(api(listen_ip_address=address, **WEAK), standalone=True)


def test_a_disabled_api_needs_nothing_unless_the_webserver_starts_it() -> None:
    config = exposed(enabled=False, **WEAK)
    check_api_server(config)
    with pytest.raises(ConfigError, match=r"listens on 0\.0\.0\.0"):
        check_api_server(config, standalone=True)


def test_an_exposed_api_with_strong_settings_is_accepted() -> None:
    for address in ("0.0.0.0", "::", "192.168.1.20", "bot.example.com"):
        config = exposed(listen_ip_address=address, password=STRONG, jwt_secret_key=JWT)
        check_api_server(config | {"CORS_origins": [UI]})
    assert api_server_problems(exposed(password=STRONG, jwt_secret_key=JWT)["api_server"]) == []


def test_the_refusal_is_one_line_naming_each_failing_key_and_what_it_allows() -> None:
    with pytest.raises(ConfigError) as refused:
        check_api_server(exposed(**WEAK))
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("Refusing to start: the API server listens on 0.0.0.0")
    for key, allowed in [
        ("username", "any name"),
        ("password", "at least 12 characters, not only whitespace, not one repeated character"),
        ("jwt_secret_key", "at least 32 characters of your own, not Freqtrade's default"),
        ("CORS_origins", "exact origins, no `*`"),
    ]:
        assert re.search(rf"`api_server\.{key}` [^;]*\(allowed: {re.escape(allowed)}", message)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param(" " * 16, "is only whitespace", id="whitespace"),
        pytest.param("\t \n" * 5, "is only whitespace", id="mixed-whitespace"),
        pytest.param("x", "has 1 characters", id="one-character"),
        pytest.param("s3cret-" + "pw12", "has 11 characters", id="eleven-characters"),
        pytest.param("z" * 20, "repeats one character", id="repeated"),
        pytest.param("pass" + "word1234", "is a common password", id="common"),
        pytest.param("Freq" + "trade2024!!", "is a common password", id="common-with-digits"),
        pytest.param(" letmein" + "123456 ", "is a common password", id="common-padded"),
        pytest.param("1234567" + "89012", "is a common password", id="digit-run"),
        pytest.param(NAME, "equals `api_server.username`", id="the-username"),
        pytest.param(NAME.upper(), "equals `api_server.username`", id="the-username-upper"),
    ],
)
def test_an_exposed_api_refuses_each_kind_of_weak_password(password: str, problem: str) -> None:
    settings = {"username": NAME, "password": password, "jwt_secret_key": JWT}
    with pytest.raises(ConfigError, match=rf"`api_server\.password` {re.escape(problem)} "):
        check_api_server(exposed(**settings))
    check_api_server(api(**settings))  # loopback: Freqtrade's own rules


def test_an_exposed_api_needs_a_username() -> None:
    for username, problem in [("", "is empty"), ("   ", "is only whitespace")]:
        with pytest.raises(ConfigError, match=rf"`api_server\.username` {problem} \(allowed"):
            check_api_server(exposed(username=username, password=STRONG, jwt_secret_key=JWT))


@pytest.mark.parametrize(
    ("jwt_secret_key", "problem"),
    [
        pytest.param(None, "is empty or Freqtrade's public default", id="absent"),
        pytest.param("", "is empty or Freqtrade's public default", id="empty"),
        pytest.param(DEFAULT_JWT_SECRET, "is empty or Freqtrade's public default", id="default"),
        pytest.param("k" * 31, "has 31 characters", id="short"),
        pytest.param(STRONG * 2, "equals `api_server.password`", id="the-password"),
    ],
)
def test_an_exposed_api_needs_its_own_long_jwt_secret(
    jwt_secret_key: str | None, problem: str
) -> None:
    config = exposed(password=STRONG * 2)
    if jwt_secret_key is not None:
        config["api_server"]["jwt_secret_key"] = jwt_secret_key
    with pytest.raises(ConfigError, match=rf"`api_server\.jwt_secret_key` {re.escape(problem)} "):
        check_api_server(config)
    assert len(api_server_problems(config["api_server"])) == 1  # the password passes


@pytest.mark.parametrize("origins", [["*"], [UI, "*"], [" * "], ["https://*.example.com"]])
def test_an_exposed_api_refuses_a_wildcard_cors_origin(origins: list[str]) -> None:
    with pytest.raises(ConfigError, match=r"`api_server\.CORS_origins` holds \["):
        check_api_server(exposed(password=STRONG, jwt_secret_key=JWT, CORS_origins=origins))


@pytest.mark.parametrize(
    ("command", "enabled", "starts"),
    [
        ("webserver", False, True),
        ("webserver", True, True),
        ("trade", True, True),
        ("trade", False, False),
        ("backtesting", True, False),
        ("show-config", True, False),
        (None, True, False),
    ],
)
def test_which_freqtrade_commands_start_the_api_server(
    command: str | None, enabled: bool, starts: bool
) -> None:
    assert starts_api_server(command, {"api_server": {"enabled": enabled}}) is starts


@pytest.fixture
def no_freqtrade_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FREQTRADE__"):
            monkeypatch.delenv(name)


def config_file(folder: Path, name: str = "api.json", **settings: Any) -> str:
    path = folder / name
    path.write_text(json.dumps(exposed(listen_port=8080, **settings)))
    return str(path)


@pytest.mark.usefixtures("no_freqtrade_environment")
@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        (["webserver"], True),
        (["webserver", "-v", "--userdir", "user_data"], True),
        (["trade", "--strategy", "MetaRL", "--dry-run"], True),
        (["backtesting", "--strategy", "MetaRL"], False),
        (["show-config"], False),
        (["webserver", "--help"], False),  # argparse prints the help and exits: nothing starts
    ],
)
def test_the_launcher_checks_the_commands_that_start_the_api_server(
    tmp_path: Path, argv: list[str], refused: bool
) -> None:
    command = [*argv, "--config", config_file(tmp_path, **WEAK)]
    if refused:
        with pytest.raises(ConfigError, match=r"listens on 0\.0\.0\.0, beyond this machine"):
            check_freqtrade_command(command)
    else:
        check_freqtrade_command(command)


@pytest.mark.usefixtures("no_freqtrade_environment")
def test_the_launcher_checks_the_merged_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = config_file(tmp_path, "weak.json", **WEAK)
    settings = {"password": STRONG, "jwt_secret_key": JWT, "CORS_origins": [UI]}
    strong = config_file(tmp_path, "strong.json", **settings)
    check_freqtrade_command(["webserver", "--config", weak, "--config", strong])  # later wins
    with pytest.raises(ConfigError):
        check_freqtrade_command(["webserver", "--config", strong, "--config", weak])
    monkeypatch.setenv("FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", "127.0.0.1")
    check_freqtrade_command(["webserver", "--config", weak])
    monkeypatch.setenv("FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", "0.0.0.0")
    monkeypatch.setenv("FREQTRADE__API_SERVER__PASSWORD", "x")
    with pytest.raises(ConfigError, match=r"`api_server\.password` has 1 characters"):
        check_freqtrade_command(["webserver", "--config", strong])
    disabled = config_file(tmp_path, "disabled.json", enabled=False, **WEAK)
    check_freqtrade_command(["trade", "--config", disabled])
    monkeypatch.setenv("FREQTRADE__API_SERVER__ENABLED", "true")
    with pytest.raises(ConfigError):
        check_freqtrade_command(["trade", "--config", disabled])


@pytest.mark.usefixtures("no_freqtrade_environment")
def test_the_launcher_reads_a_config_from_stdin_and_leaves_it_to_freqtrade(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = json.dumps(exposed(**WEAK))
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    with pytest.raises(ConfigError):
        check_freqtrade_command(["webserver", "--config", "-"])
    assert sys.stdin.read() == text


@pytest.mark.usefixtures("no_freqtrade_environment")
def test_the_launcher_leaves_a_missing_config_to_freqtrade(tmp_path: Path) -> None:
    check_freqtrade_command(["webserver", "--config", str(tmp_path / "missing.json")])


@pytest.mark.usefixtures("no_freqtrade_environment")
def test_a_weak_webserver_through_the_launcher_exits_1_before_freqtrade_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(freqtrade.main, "main", started.append)
    weak = ["webserver", "--config", config_file(tmp_path, enabled=False, **WEAK)]
    assert main(["freqtrade", "--offline", "--", *weak]) == 1
    assert started == []
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: Refusing to start: the API server listens")
    strong = config_file(tmp_path, "strong.json", password=STRONG, jwt_secret_key=JWT)
    assert main(["freqtrade", "--offline", "--", "webserver", "--config", strong]) == 0
    assert started == [["webserver", "--config", strong]]


def test_telegram_commands_need_listed_users() -> None:
    check_telegram({"telegram": {"enabled": False}})
    with pytest.raises(ConfigError, match=r"`telegram.authorized_users` is absent"):
        check_telegram({"telegram": {"enabled": True, "token": "t", "chat_id": "1"}})
    with pytest.raises(ConfigError, match=r"is empty.*AUTHORIZED_USERS"):
        check_telegram({"telegram": {"enabled": True, "authorized_users": []}})
    check_telegram({"telegram": {"enabled": True, "authorized_users": ["123456789"]}})


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
