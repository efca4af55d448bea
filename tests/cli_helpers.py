"""Running ``lsr-sim`` in-process for tests: shared by the CLI test modules."""

from __future__ import annotations

import pytest

from lsr_sim.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``lsr-sim argv`` (never a traceback)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_error(err: str) -> str:
    """The text of the single ``error:`` line that `err` must consist of."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")
