"""Run the real Freqtrade CLI offline, as a user would, from the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from meta_agent.offline import freqtrade_command

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def offline_command(args: list[str], configs: list[Path], userdir: Path) -> list[str]:
    """``python -m meta_agent freqtrade --offline -- ARGS --config C... --userdir U``."""
    config_args = [arg for config in configs for arg in ("--config", str(config))]
    return freqtrade_command([*args, *config_args, "--userdir", str(userdir)])


def run_offline(
    args: list[str], configs: list[Path], userdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run :func:`offline_command` to completion."""
    return subprocess.run(
        offline_command(args, configs, userdir),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
