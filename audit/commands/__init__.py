"""What each ``audit`` command does; :mod:`audit.cli` parses the command line and calls one.

One module per what a command needs, so that each starts no slower than it
must: ``files`` only the checklist parser and the scoring (no database),
``database`` Tortoise, ``service`` the web stack and WeasyPrint as well.
No module here imports :mod:`audit.cli`.
"""

from __future__ import annotations


class CommandError(Exception):
    """A user error: printed as one line, exit status 1, no traceback."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (drivers' messages span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__
