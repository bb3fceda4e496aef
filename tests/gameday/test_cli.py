"""Bad input to the game day commands: a clear error naming what is wrong, exit 2, nothing started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drill.cli import main
from drill.gameday.state import GamedayState, write_state


@pytest.mark.parametrize(("argv", "message"), [
    (["gameday", "--rate", "fast"], "--rate: expected a rate"),
    (["gameday", "--rate", "500/s"], "keep it within"),
    (["gameday", "--max-duration", "forever"], "--max-duration"),
    (["gameday", "--max-duration", "48h"], "must be in (0, 24h]"),
    (["gameday", "--time-scale", "0"], "--time-scale"),
    (["gameday", "no-such-scenario"], "no library scenario 'no-such-scenario'"),
    (["gameday", "--as", ""], "--as"),
    (["inject", "--provider", "qwen", "--error", "503", "--gameday", "/nonexistent"], "no such directory"),
    (["inject", "{provider: qwen", "--gameday", "/nonexistent"], "not YAML or JSON"),
    (["inject", "{provider: qwen}", "--provider", "qwen"], "a snippet or flags, not both"),
    (["action", "--degraded", "sometimes"], "--degraded: expected on, off or auto"),
    (["action"], "nothing to do"),
    (["gameday", "stop", "/nonexistent"], "no such directory"),
    (["gameday", "watch", "/nonexistent"], "no such directory"),
])
def test_bad_input_exits_2_with_a_clear_message(argv: list[str], message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _state(run_dir: Path, pid: int, status: str = "running") -> None:
    write_state(run_dir, GamedayState(str(run_dir), pid, 0.0, "2026-01-22T10:30:00+00:00", 1.0, "gameday",
                                      "http://127.0.0.1:9", "http://127.0.0.1:9", "http://127.0.0.1:9/",
                                      "http://127.0.0.1:9", status=status))


def test_a_directory_that_holds_a_game_day_is_not_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _state(tmp_path, 1, "stopped")
    assert main(["gameday", "--rate", "1/s", "--out", str(tmp_path)]) == 2
    assert "already holds a game day" in capsys.readouterr().err
    assert json.loads((tmp_path / "gameday.json").read_text())["status"] == "stopped"


def test_acts_on_a_game_day_whose_process_is_gone_are_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _state(tmp_path, 2**22 + 12345)   # no such pid
    assert main(["note", "--gameday", str(tmp_path), "hello"]) == 2
    assert "is not running" in capsys.readouterr().err
    assert not (tmp_path / "timeline.jsonl").exists()
