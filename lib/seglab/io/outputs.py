"""Tables a run hands to people: CSV and Excel files that no spreadsheet can turn into code.

A customer id, a category or an analyst-given segment name that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice and Google Sheets as
a formula when the file is opened (``=HYPERLINK(...)``, ``=cmd|...``: "CSV injection").
Every CSV and Excel file seglab writes goes through this module (docs/architecture.md §3):

- **CSV** (OWASP's guidance): such a text cell is written with a leading apostrophe, which
  spreadsheets show as text. The prefix is reversible: :func:`read_csv` removes exactly the
  apostrophes :func:`write_csv` added, so the stages that read a CSV back see the values
  that were written.
- **Excel**: such a cell is a text cell (never a formula cell), marked ``quotePrefix`` so that
  editing it in Excel keeps it text.

Numeric columns are never touched, and a text cell that is a plain number (``-5``,
``+86``) cannot run anything, so it is written as it is.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pandas as pd

# A cell a spreadsheet may read as a formula: after any apostrophes we added, one of the
# OWASP trigger characters (tab and carriage return included).
_TRIGGER = re.compile(r"^'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_ADDED = re.compile(r"^'+[=+\-@\t\r]")


def is_dangerous(value) -> bool:
    """True for text a spreadsheet could execute as a formula."""
    return isinstance(value, str) and bool(_TRIGGER.match(value)) and not _PLAIN_NUMBER.match(value)


def neutralise(value):
    """``value`` with a leading apostrophe when a spreadsheet could read it as a formula."""
    return "'" + value if is_dangerous(value) else value


def restore(value):
    """The inverse of :func:`neutralise` (for reading seglab's own CSV files back)."""
    return value[1:] if isinstance(value, str) and _ADDED.match(value) else value


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns
            if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe in a spreadsheet; numbers untouched.

    Header names are data too (a column named after a category value): they are
    neutralised the same way.
    """
    out = frame.copy()
    for col in _text_columns(out):
        values = out[col]
        mask = values.map(is_dangerous, na_action="ignore").fillna(False).astype(bool).to_numpy()
        if mask.any():
            fixed = values.astype(object).to_numpy(copy=True)
            fixed[mask] = ["'" + v for v in fixed[mask]]
            out[col] = pd.Series(fixed, index=out.index, dtype=values.dtype if values.dtype != object else object)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_frame` on a table read from a CSV that seglab wrote."""
    frame.columns = [restore(c) for c in frame.columns]
    for col in _text_columns(frame):
        values = frame[col]
        mask = values.map(lambda v: bool(_ADDED.match(v)) if isinstance(v, str) else False,
                          na_action="ignore").fillna(False).astype(bool).to_numpy()
        if mask.any():
            fixed = values.astype(object).to_numpy(copy=True)
            fixed[mask] = [v[1:] for v in fixed[mask]]
            frame[col] = pd.Series(fixed, index=frame.index, dtype=values.dtype if values.dtype != object else object)
    return frame


def write_csv(frame: pd.DataFrame, path, **options) -> Path | None:
    """Write ``frame`` as UTF-8 CSV with formula triggers neutralised.

    Parameters
    ----------
    frame : DataFrame
    path : path-like or file object
        A path is written atomically (temp file + rename): readers never see half a file.
        A file object (``sys.stdout``) is written to as it is.
    **options
        Passed to :meth:`DataFrame.to_csv` (``index=False`` unless given).
    """
    options.setdefault("index", False)
    safe = neutralise_frame(frame)
    if "lineterminator" not in options and _holds_carriage_return(safe):
        # Python's csv writer quotes a field holding the line terminator's characters only:
        # with RFC 4180's CRLF ends, a carriage return inside a value is quoted too.
        options["lineterminator"] = "\r\n"
    if not isinstance(path, (str, os.PathLike)):
        safe.to_csv(path, **options)
        return None
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    safe.to_csv(tmp, encoding="utf-8", **options)
    os.replace(tmp, path)
    return path


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    return any("\r" in str(c) for c in frame.columns) or any(
        frame[c].astype("str").str.contains("\r", regex=False).fillna(False).any() for c in _text_columns(frame))


def csv_text(frame: pd.DataFrame, **options) -> str:
    """The CSV text :func:`write_csv` would write (for stdout and tests)."""
    buf = io.StringIO()
    write_csv(frame, buf, **options)
    return buf.getvalue()


def read_csv(path, **options) -> pd.DataFrame:
    """Read a CSV seglab wrote, with the values it was given (apostrophes removed)."""
    return restore_frame(pd.read_csv(path, **options))


def write_workbook(path, sheets: dict[str, pd.DataFrame], finish=None) -> Path:
    """An .xlsx workbook, one sheet per table, in which no cell from data is a formula.

    openpyxl stores any string starting with ``=`` as a formula cell; here every such
    cell is turned back into a text cell, and every text cell a spreadsheet would read
    as a formula when edited is marked ``quotePrefix`` (Excel's leading apostrophe).
    ``finish(name, worksheet)``, when given, lays a sheet out (formats, widths, filters)
    after it is written and made safe; it must not write values.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            for row in xl.sheets[name].iter_rows():
                for cell in row:
                    if cell.data_type == "f" or is_dangerous(cell.value):
                        text = cell.value
                        cell.value = None  # reset, then store as a plain string
                        cell.value = text
                        cell.data_type = "s"
                        cell.quotePrefix = True
            if finish is not None:
                finish(name, xl.sheets[name])
    os.replace(tmp, path)
    return path

