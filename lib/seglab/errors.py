"""Errors a user can act on: the CLI prints them as one line and exits 2."""


class SeglabError(Exception):
    """A problem with the user's params or data (exit code 2, no traceback).

    The message names the file, column or key and says what to do.
    """

    exit_code = 2


class ParamsError(SeglabError):
    """The params file (or a ``--set`` override) is invalid."""


class DataError(SeglabError):
    """An input file cannot be read or used as declared."""
