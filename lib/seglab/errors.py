"""Errors a user can act on: the CLI prints them as one line and exits 2."""

import difflib


class SeglabError(Exception):
    """A problem with the user's params or data (exit code 2, no traceback).

    The message names the file, column or key and says what to do.
    """

    exit_code = 2


class ParamsError(SeglabError):
    """The params file (or a ``--set`` override) is invalid."""


class DataError(SeglabError):
    """An input file cannot be read or used as declared."""


def did_you_mean(name, choices) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``: the tail of an error."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
