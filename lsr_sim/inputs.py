"""Input files read within the limits: the one place their bytes are read.

Scenario and sweep files (through :mod:`lsr_sim.scenario.yamlfile`) and the classic models'
actor tables (:mod:`lsr_sim.classic.inputs`) are read by :func:`read_input_text`. It imports
only the errors, the limits and the messages, so any module can use it without a cycle.
"""

from __future__ import annotations

from pathlib import Path

from lsr_sim.limits import MAX_FILE_BYTES
from lsr_sim.messages import FileKind

__all__ = ["read_input_text"]


def read_input_text(path: Path, kind: FileKind) -> str:
    """The text of an input file, read within :data:`~lsr_sim.limits.MAX_FILE_BYTES`.

    At most one byte more than the limit is read, so a huge file or ``/dev/zero`` is refused
    at once. UTF-8, with or without a byte-order mark.

    Raises
    ------
    InputError
        ``kind.error``: the file is missing, a folder, unreadable, too large or not UTF-8.
    """
    source = str(path)
    if path.is_dir():
        raise kind.error(source, "", f"is a folder; expected a {kind.what} {kind.syntax} file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise kind.error(source, "", "file not found; check the path") from None
    except OSError as exc:
        raise kind.error(source, "", f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise kind.error(
            source,
            "",
            f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the limit for {kind.what} "
            "files (lsr_sim.limits.MAX_FILE_BYTES); is it the right file?",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise kind.error(
            source, "", f"cannot be read as UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
