"""``python -m meta_agent``: exit codes and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from meta_agent.cli import main


def test_data_import_reports_what_it_wrote(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "src"
    (source / "sentiment").mkdir(parents=True)
    (source / "sentiment" / "fear_and_greed.csv").write_bytes(
        (shared_data / "sentiment" / "fear_and_greed.csv").read_bytes()
    )
    code = main(["data", "import", "--source", str(source), "--datadir", str(tmp_path / "d")])
    assert code == 0
    assert (tmp_path / "d" / "external" / "fear_and_greed.feather").is_file()
    assert "Imported 1 files" in capsys.readouterr().out


def test_import_error_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["data", "import", "--source", str(tmp_path / "missing")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "data source folder not found" in err


def test_offline_freqtrade_passes_the_exit_code_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["freqtrade", "--offline", "--", "--version"]) == 0
    assert "2026.9" in capsys.readouterr().out
