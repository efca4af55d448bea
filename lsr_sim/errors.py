"""Errors the library raises for bad input.

Every user-facing input problem is a :class:`InputError` carrying the file, the field path
and what was expected, so that the command line can print one clear line and exit 2.
"""

from __future__ import annotations

__all__ = ["InputError", "ObservationsError", "ScenarioError", "SweepError"]


class InputError(ValueError):
    """Bad input from a user: a file, a field in it, or a command-line argument.

    Parameters
    ----------
    source : str
        The file (or ``"command line"``) the problem is in.
    path : str
        The dotted field path inside the source, or ``""`` for the whole source.
    message : str
        What is wrong and what is expected instead.

    Examples
    --------
    >>> str(InputError("x.yaml", "actors.Hezbollah.salience", "sums to 1.4, must sum to 1"))
    'x.yaml: actors.Hezbollah.salience: sums to 1.4, must sum to 1'
    """

    #: Longest message kept: a message quoting a huge value is cut, never printed whole.
    MAX_MESSAGE = 2000

    def __init__(self, source: str, path: str, message: str) -> None:
        if len(message) > self.MAX_MESSAGE:
            message = message[: self.MAX_MESSAGE - 100] + f"... (cut: {len(message):,} characters)"
        if len(path) > self.MAX_MESSAGE // 2:
            path = path[: self.MAX_MESSAGE // 4] + "..."
        self.source = source
        self.path = path
        self.message = message
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {message}")


class ScenarioError(InputError):
    """A scenario file that cannot be loaded or does not validate."""


class SweepError(InputError):
    """A sweep file that cannot be loaded, does not validate, or does not fit its scenarios."""


class ObservationsError(InputError):
    """An observations file that cannot be loaded, does not validate, or does not fit the
    scenario it is used with."""
