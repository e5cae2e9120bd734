"""Reading the inputs of a run: files of any common format and encoding, and SQL queries.

Real exports arrive as a ``.csv`` that is really ``;``- or tab-separated, in GBK or
UTF-16, with a title block above the header, or as an Excel sheet or a database
query. This module turns each into one raw table of text (identifiers keep their
leading zeros) and says how it was read, so cleaning never has to guess, and every
problem that stops a run is reported on one line naming the file and the column.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as _dt
import difflib
import glob
import io
import itertools
import math
import re
import unicodedata
import warnings
import zipfile
from pathlib import Path
from urllib.parse import unquote
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from seglab.errors import DataError

SAMPLE_BYTES = 256 * 1024  # enough lines to sniff encoding, delimiter and header
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 30  # a title block above the header is never longer than this


@dataclasses.dataclass(frozen=True)
class Spec:
    """One input as the readers need it, whatever form the params gave it in."""

    kind: str  # "file" or "sql"
    path: Path | None = None
    sheet: str | int = 0
    header_row: int | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sql: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        """How messages name this input: the file path, or the URL without password."""
        return str(self.path) if self.kind == "file" else _safe_url(self.url)


def as_spec(source) -> Spec:
    """Normalise a params source (path, ``FileSource``, ``SqlSource`` or mapping) to a :class:`Spec`."""
    if isinstance(source, Spec):
        return source
    if isinstance(source, (str, Path)):
        return Spec("file", path=Path(source))
    if isinstance(source, dict):
        if "sql" in source:
            return Spec("sql", sql=source["sql"], url=source.get("url", "sqlite:///data.db"))
        options = {k: source[k] for k in ("sheet", "header_row", "delimiter", "encoding") if k in source}
        return Spec("file", path=Path(source["path"]), **options)
    if hasattr(source, "sql"):
        return Spec("sql", sql=source.sql, url=source.url)
    if hasattr(source, "path"):
        return Spec("file", path=Path(source.path), sheet=source.sheet, header_row=source.header_row,
                    delimiter=source.delimiter, encoding=source.encoding)
    raise DataError(f"data source {source!r}: give a file path, {{path: ...}} or {{sql: QUERY, url: URL}}")


# ------------------------------------------------------------------ public API

def read_source(source, *, role: str, encoding: str = "auto", id_columns=(), columns=(),
                as_text: bool = True) -> tuple[pd.DataFrame, dict]:
    """Read one input as a raw table.

    Parameters
    ----------
    source : path-like, FileSource, SqlSource or dict
        As written under ``data.customers`` / ``data.transactions``.
    role : {"customers", "transactions"}
        Only used in messages and in the returned info.
    encoding : str, default="auto"
        ``data.encoding``; a per-file ``encoding`` in the source overrides it.
    id_columns : iterable of str
        Identifier columns: from typed sources (Excel, Parquet, SQL) their numbers
        become integer text (``17850``, never ``17850.0``).
    columns : iterable of str
        All declared column names; they help to find the header row under a title block.
    as_text : bool, default=True
        Every column as text. With False, typed sources (Parquet, SQL) keep their
        numbers and dates, which saves a round trip through text on big tables.

    Returns
    -------
    table : DataFrame
        One row per data row of the source, in order; empty cells are ``""`` or missing.
    info : dict
        ``role, path, format, encoding, delimiter, header_row, rows, columns`` and
        ``malformed``: ``[(source_row, message), ...]`` rows that could not be split
        into the header's columns (absent from ``table``; row numbers of the others
        are ``info["row_numbers"]`` when any are absent, else ``1..rows``).
    """
    spec = as_spec(source)
    id_columns, columns = tuple(id_columns), tuple(columns)
    files = source_files(spec.path) if spec.kind == "file" else None
    kw = {"encoding": spec.encoding or encoding, "id_columns": id_columns, "columns": columns, "as_text": as_text}
    try:
        if files is not None:
            fmt, (table, info) = _read_files(spec, files, **kw)
        else:
            fmt = "sql" if spec.kind == "sql" else _format_of(spec)
            table, info = READERS[fmt](spec, **kw)
    except DataError as exc:  # the readers do not know the role: name the params key exactly
        raise DataError(str(exc).replace("data.<role>", f"data.{role}")) from None
    table.columns = _clean_header(list(table.columns))
    info.setdefault("malformed", [])
    info.update(role=role, path=spec.label, format=fmt, rows=len(table) + len(info["malformed"]), columns=list(table.columns))
    for key in ("encoding", "delimiter", "header_row"):
        info.setdefault(key, None)
    return table, info


# ------------------------------------------------------------------ several files

GLOB_CHARS = ("*", "?", "[")


def source_files(path: Path | None) -> list[Path] | None:
    """The data files behind a folder or a glob pattern, in name order; None for one file.

    A folder is read with everything under it (hive-partitioned exports such as
    ``lines/year=2024/month=01/part-0.parquet``); names starting with ``.`` or ``_`` (Spark's
    ``_SUCCESS``, checksums) and files of other suffixes are left out. A pattern such as
    ``exports/*.csv`` or ``lake/**/*.parquet`` takes the files it matches.
    """
    if path is None:
        return None
    text = str(path)
    if path.is_dir():
        root, found = path, path.rglob("*")
    elif not path.exists() and any(c in text for c in GLOB_CHARS):
        root, found = glob_root(path), (Path(p) for p in glob.glob(text, recursive=True))
    else:
        return None
    files = sorted(p for p in found if p.is_file() and p.suffix.lower() in FORMAT_BY_SUFFIX
                   and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts))
    if not files:
        what = "folder holds" if path.is_dir() else "pattern matches"
        raise DataError(f"{path}: this {what} no data file ({', '.join(sorted(set(FORMAT_BY_SUFFIX)))}); "
                        "check the path under data: in the params")
    return files


def glob_root(pattern: Path) -> Path:
    """The folder a glob pattern starts from: its parts before the first wildcard."""
    parts = []
    for part in pattern.parts:
        if any(c in part for c in GLOB_CHARS):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def partition_values(file: Path, root: Path) -> dict[str, str]:
    """Hive partition columns of ``file`` from the ``key=value`` folders between ``root`` and it."""
    out = {}
    for part in file.relative_to(root).parts[:-1]:
        key, eq, value = part.partition("=")
        if eq and key:
            out[unquote(key)] = None if value == "__HIVE_DEFAULT_PARTITION__" else unquote(value)
    return out


def _read_files(spec: Spec, files: list[Path], **kw) -> tuple[str, tuple[pd.DataFrame, dict]]:
    """All ``files`` as one table: rows in file-name order, hive partition folders as text columns.

    The files must be of one format and have the same columns; the first file's reading
    (encoding, delimiter, header row) is reported, and row numbers run on through the files.
    """
    root = spec.path if spec.path.is_dir() else glob_root(spec.path)
    fmt = None
    tables, malformed, row_numbers, offset, first_info, names = [], [], [], 0, None, None
    for file in files:
        one = dataclasses.replace(spec, path=file)
        this = _format_of(one)
        if fmt is not None and this != fmt:
            raise DataError(f"{spec.path}: mixes {fmt} and {this} files ({files[0].name}, {file.name}); "
                            "keep one format under data:")
        fmt = this
        table, info = READERS[fmt](one, **kw)
        table.columns = _clean_header(list(table.columns))
        for key, value in partition_values(file, root).items():
            if key not in table.columns:
                table[key] = pd.Series([value] * len(table), dtype="str" if kw["as_text"] else object)
        if names is None:
            names, first_info = list(table.columns), info
        elif set(table.columns) != set(names):
            missing, extra = sorted(set(names) - set(table.columns)), sorted(set(table.columns) - set(names))
            raise DataError(f"{file}: its columns differ from {files[0]}'s (missing {missing}, extra {extra}); "
                            "every file under data: needs the same header")
        bad = info.get("malformed", [])
        n = len(table) + len(bad)
        malformed += [(offset + row, msg) for row, msg in bad]
        row_numbers.append(offset + np.asarray(info.get("row_numbers", np.arange(1, len(table) + 1)), dtype=np.int64))
        tables.append(table[names])
        offset += n
    table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    info = {k: first_info.get(k) for k in ("encoding", "delimiter", "header_row")}
    info.update(malformed=malformed, files=len(files))
    if malformed:
        info["row_numbers"] = np.concatenate(row_numbers)
    return fmt, (table, info)


# ------------------------------------------------------------------ formats

def _format_of(spec: Spec) -> str:
    """The reader for a file: by content when it has a magic number, else by suffix."""
    path = spec.path
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path under data: in the params (relative paths start at the params file)")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file; give the path of the data file")
    with open(path, "rb") as fh:
        head = fh.read(8)
    for magic, fmt in MAGIC:
        if head.startswith(magic):
            return fmt
    suffix = path.suffix.lower()
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{path}: old Excel .xls files are not supported; open it in Excel and save it as .xlsx or .csv")
    fmt = FORMAT_BY_SUFFIX.get(suffix, "csv")  # unknown suffix: delimited text says clearly if it is not
    if fmt != "csv" and head:
        raise DataError(f"{path}: is not a valid {suffix} file (its first bytes are not one); export it again")
    return fmt


def _clean_header(names: list) -> list[str]:
    """Header names as people mean them: NFKC, trimmed, blanks named as pandas does.

    Duplicates stay visible: :func:`check_columns` reports a duplicated declared column.
    """
    out = []
    for i, name in enumerate(names):
        text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
        text = unicodedata.normalize("NFKC", text).lstrip("\ufeff").strip()
        out.append(text or f"Unnamed: {i}")
    return out


# -------------------------------------------------------------- delimited text

def _read_delimited(spec: Spec, *, encoding, id_columns, columns, as_text) -> tuple[pd.DataFrame, dict]:
    path = spec.path
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip(b"\r\n\t \x00\xef\xbb\xbf\xff\xfe"):
        raise DataError(f"{path}: file is empty; export the data again")
    complete = len(sample) < SAMPLE_BYTES
    enc = detect_encoding(sample, path, complete=complete) if encoding in (None, "auto") else _known_encoding(encoding, path)
    text = _decode_sample(sample, enc, path, complete)
    _refuse_non_tables(text, path)
    delim = spec.delimiter or sniff_delimiter(text)
    rows = _sample_rows(text, delim)
    header_row = spec.header_row if spec.header_row is not None else find_header(rows, columns)
    if header_row >= len(rows):
        raise DataError(f"{path}: header_row {header_row} is past the end of the file's first {len(rows)} rows; fix header_row")
    header = rows[header_row]
    table, malformed = _parse_delimited(path, enc, delim, header_row, len(header))
    table.columns = header
    info = {"encoding": enc, "delimiter": delim, "header_row": header_row, "malformed": malformed}
    if malformed:
        bad = {r for r, _ in malformed}
        info["row_numbers"] = np.array([r for r in range(1, len(table) + len(bad) + 1) if r not in bad], dtype=np.int64)
    return table, info


def _parse_delimited(path: Path, enc: str, delim: str, header_row: int, width: int) -> tuple[pd.DataFrame, list]:
    """All cells as text; rows with more fields than the header are reported, not kept.

    Arrow's multi-threaded reader does the work; only when it meets rows of the
    wrong width does pandas' C parser re-read the file, because it can say where
    they are. Short rows are padded with empty cells (spreadsheets drop trailing
    empty fields).
    """
    names = [f"c{i}" for i in range(width)]
    invalid = []

    def on_invalid(row):
        invalid.append(row.actual_columns)
        return "skip"

    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding=_arrow_encoding(enc), skip_rows=header_row + 1,
                                          column_names=names, block_size=16 << 20),
            parse_options=pcsv.ParseOptions(delimiter=delim, newlines_in_values=True, ignore_empty_lines=False,
                                            invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except UnicodeDecodeError:
        raise DataError(_decode_failure(path, enc)) from None
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message or "decode" in message.lower():
            raise DataError(_decode_failure(path, enc)) from None
        if "Empty CSV file" in message:
            return pd.DataFrame({n: pd.array([], dtype="str") for n in names}), []
        raise DataError(f"{path}: cannot be read as '{_shown(delim)}'-separated text ({message.splitlines()[0]}); "
                        "check the file or give its delimiter") from None
    if not invalid:
        return table.to_pandas(), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pd.read_csv(path, sep=delim, encoding=enc, header=None, names=names, skiprows=header_row + 1,
                            dtype=str, na_filter=False, skip_blank_lines=False, on_bad_lines="warn",
                            engine="c", index_col=False)
    malformed = []
    for w in caught:
        for line, expected, saw in re.findall(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)", str(w.message)):
            malformed.append((int(line) - header_row - 1,
                              f"the line has {saw} fields but the header has {expected} (a delimiter inside an unquoted value?)"))
    return frame, sorted(malformed)


def _refuse_non_tables(text: str, path: Path) -> None:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")):
        raise DataError(f"{path}: is an HTML/XML page, not a table (a failed download?); export the data as CSV or Excel")
    if re.match(r'^[\[{]\s*["{\[]', head):
        raise DataError(f"{path}: looks like JSON, not a table; export the data as CSV or Excel")


def _sample_rows(text: str, delim: str, limit: int = 400) -> list[list[str]]:
    """The first records of the sample, split with quotes respected."""
    try:
        return list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delim), limit))
    except csv.Error:
        return [line.split(delim) for line in text.splitlines()[:limit]]


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the sample into the most consistent number (> 1) of fields.

    A ``.csv`` from a European Excel is ``;``-separated and one from "Unicode text" is
    tab-separated, so the suffix says little; counting fields per record, with quotes
    respected, does. Ties go to the earlier of ``DELIMITERS``.
    """
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        counts = [len(r) for r in _sample_rows(text, delim) if any(cell.strip() for cell in r)]
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        if modal < 2:
            continue
        score = (counts.count(modal) / len(counts), modal)
        if score > best_score:
            best, best_score = delim, score
    return best


def find_header(rows: list[list], columns=()) -> int:
    """Index of the header row.

    The first row naming a declared column; else the first row as wide as the table
    below it (a title block above the header is narrower).
    """
    wanted = {_norm_name(c) for c in columns if c}
    if wanted:
        for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            if any(_norm_name(cell) in wanted for cell in row if cell is not None):
                return i
    filled = [sum(1 for cell in row if cell is not None and str(cell).strip()) for row in rows]
    body = [len(r) for r, f in zip(rows[1:], filled[1:]) if f] or [len(r) for r in rows]
    if not body:
        return 0
    width = max(set(body), key=body.count)
    for i, (row, f) in enumerate(zip(rows[:HEADER_SEARCH_ROWS], filled)):
        if len(row) >= width and f >= max(1, min(2, width), width / 2):
            return i
    return 0


def _norm_name(name) -> str:
    return unicodedata.normalize("NFKC", str(name)).lstrip("\ufeff").strip().casefold()


# ------------------------------------------------------------------ encodings

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def detect_encoding(sample: bytes, path: Path | str = "input", complete: bool = True) -> str:
    """The encoding of a text sample.

    A byte-order mark decides; else UTF-16 shows by its zero bytes; else UTF-8 if the
    bytes are valid UTF-8; else GB18030 (Chinese CRM exports) or Windows-1252
    (Western ones), told apart by how high bytes pair up.

    Raises
    ------
    DataError
        The bytes are not text (binary content), or UTF-8 lines are mixed with lines
        in another encoding.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    head = np.frombuffer(sample[:65536], dtype=np.uint8)
    zeros = head == 0
    if len(head) and zeros.mean() > 0.2:
        even, odd = zeros[0::2].mean(), zeros[1::2].mean()
        if odd > 0.6 and even < 0.1:
            return "utf-16-le"
        if even > 0.6 and odd < 0.1:
            return "utf-16-be"
    control = (head < 32) & ~np.isin(head, (9, 10, 12, 13))
    if zeros.any() or (len(head) and control.mean() > 0.01):
        raise DataError(f"{path}: is not a text table (binary content); export the data as CSV, Excel or Parquet")
    if _decodes(sample, "utf-8", complete):
        return "utf-8"
    _refuse_mixed(sample, path)
    if _looks_chinese(head) and _decodes(sample, "gb18030", complete):
        return "gb18030"
    return _western_encoding(sample)


# Accented letters of Western European languages: what a right decoding shows between letters.
_WESTERN_LETTERS = set("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŒ")


def _western_encoding(sample: bytes) -> str:
    """Windows-1252 or Mac Roman (classic Mac exports), by which reads as words.

    The same high byte is a letter in one and a symbol in the other (0x9A: ``ö`` in
    Mac Roman, ``š`` in Windows-1252), so each decoding is scored by the accented
    letters it puts inside words, minus the symbols it puts there. Line ends made of
    carriage returns alone (classic Mac OS) decide a tie for Mac Roman.
    """
    scores = {}
    for enc in ("cp1252", "mac_roman"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            continue
        score = 0
        for m in re.finditer(r"(?<=[A-Za-z])[^\x00-\x7f]+|[^\x00-\x7f]+(?=[A-Za-z])", text):
            for ch in m.group():
                score += 1 if ch in _WESTERN_LETTERS else -1 if not ch.isalpha() else 0
        scores[enc] = score
    if not scores:
        return "latin-1"
    classic_mac = b"\r" in sample and b"\n" not in sample
    if "mac_roman" in scores and (scores["mac_roman"] > scores.get("cp1252", -10**9) or (
            classic_mac and scores["mac_roman"] >= scores.get("cp1252", -10**9))):
        return "mac_roman"
    return "cp1252" if "cp1252" in scores else "mac_roman"


def _decodes(sample: bytes, enc: str, complete: bool) -> bool:
    try:
        sample.decode(enc)
        return True
    except UnicodeDecodeError as exc:
        return not complete and exc.start >= len(sample) - 4  # the sample cut a character in two


def _looks_chinese(b: np.ndarray) -> bool:
    """GBK text pairs high bytes (a lead and a trail byte both >= 0x81 for most
    characters); Latin-1 text puts single high bytes among ASCII letters."""
    high = np.flatnonzero(b[:-1] >= 0x81)
    if not len(high):
        return False
    return bool((b[high + 1] >= 0x81).mean() > 0.5)


def _refuse_mixed(sample: bytes, path) -> None:
    """UTF-8 lines beside lines in another encoding: no single decoding is right.

    A GBK line is valid UTF-8 by chance now and then, so UTF-8 lines count as
    evidence only when there are several (at least 2 and 5 % of the non-ASCII lines).
    """
    utf8, other, first_other = 0, 0, None
    for i, line in enumerate(sample.split(b"\n")):
        if not line or max(line) < 0x80:
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
            first_other = first_other or i + 1
    if other and utf8 >= max(2, 0.05 * (utf8 + other)):
        raise DataError(f"{path}: mixes encodings (line {first_other} is not UTF-8 but other lines are); "
                        "save the whole file in one encoding, e.g. UTF-8")


def _decode_sample(sample: bytes, enc: str, path, complete: bool) -> str:
    if complete:
        try:
            return sample.decode(enc).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise DataError(_decode_failure(path, enc)) from None
    text = sample.decode(enc, errors="ignore")
    return text[: text.rfind("\n") + 1].lstrip("\ufeff") or text


def _known_encoding(name: str, path) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise DataError(f"{path}: unknown encoding '{name}'; use e.g. utf-8, utf-8-sig, gb18030, utf-16 or auto") from None


def _arrow_encoding(enc: str) -> str:
    return "utf8" if enc.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig") else enc


def _decode_failure(path: Path, enc: str) -> str:
    """Where a full decode fails: the line, so the user can find the odd bytes."""
    data = path.read_bytes()
    try:
        data.decode(enc)
        where = ""
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f" at line {line}"
    return (f"{path}: is not valid {enc}{where} (mixed encodings?); save the whole file in one encoding "
            "(UTF-8), or set data.encoding")


def _shown(delim: str) -> str:
    return "\\t" if delim == "\t" else delim


# ------------------------------------------------------------------ Excel

def _read_excel(spec: Spec, *, encoding, id_columns, columns, as_text) -> tuple[pd.DataFrame, dict]:
    import openpyxl  # lazy: Excel files only (start-up time)
    from openpyxl.utils.exceptions import InvalidFileException  # lazy: Excel files only

    path = spec.path
    fh = open(path, "rb")  # a file object: openpyxl judges a path by its suffix, we by the content
    try:
        book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException) as exc:
        fh.close()
        raise DataError(f"{path}: cannot be opened as an Excel workbook ({exc}); save it again as .xlsx") from None
    try:
        names = book.sheetnames
        sheet = spec.sheet
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(f"{path}: sheet index {sheet} does not exist; the workbook has {len(names)} sheet(s): {', '.join(names)}")
            ws = book[names[sheet]]
        else:
            if sheet not in names:
                close = difflib.get_close_matches(sheet, names, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"sheets: {', '.join(names)}"
                raise DataError(f"{path}: sheet '{sheet}' not found; {hint}")
            ws = book[sheet]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
        fh.close()
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise DataError(f"{path}: sheet '{ws.title}' is empty; choose the sheet with the data (data.<role>: {{path: ..., sheet: NAME}})")
    text_rows = [[_cell_text(v) for v in r] for r in rows[: HEADER_SEARCH_ROWS + 50]]
    header_row = spec.header_row if spec.header_row is not None else find_header(text_rows, columns)
    if header_row >= len(rows):
        raise DataError(f"{path}: header_row {header_row} is past the last row ({len(rows) - 1}); fix header_row")
    header = rows[header_row]
    width = max(len(r) for r in rows)
    header = list(header) + [None] * (width - len(header))
    body = [list(r) + [None] * (width - len(r)) for r in rows[header_row + 1:]]
    ids = set(id_columns)
    data = {}
    for j, name in enumerate(header):
        cells = [r[j] for r in body]
        key = f"c{j}"
        data[key] = pd.array([_cell_text(v, as_id=_cell_text(name) in ids) for v in cells], dtype="str")
    table = pd.DataFrame(data)
    # Columns with neither a header nor any value are Excel's formatting, not data.
    keep = [j for j, name in enumerate(header) if name is not None or table[f"c{j}"].notna().any()]
    table = table[[f"c{j}" for j in keep]]
    table.columns = [header[j] for j in keep]
    return table, {"header_row": header_row, "sheet": ws.title}


def _cell_text(value, as_id: bool = False):
    """One Excel cell as the text a person sees in it (dates in ISO form)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and (as_id or abs(value) < 1e15):
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------ Parquet, SQL

def _read_parquet(spec: Spec, *, encoding, id_columns, columns, as_text) -> tuple[pd.DataFrame, dict]:
    try:
        table = pd.read_parquet(spec.path)
    except Exception as exc:  # pyarrow raises several unrelated types for a corrupt file
        raise DataError(f"{spec.path}: cannot be read as Parquet ({str(exc).splitlines()[0]}); write the file again") from None
    return _typed_to_frame(table, id_columns, as_text), {}


def _read_sql(spec: Spec, *, encoding, id_columns, columns, as_text) -> tuple[pd.DataFrame, dict]:
    import sqlalchemy as sa  # lazy: SQL sources only (importing it takes a third of a second)

    url = spec.url
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise DataError(f"{_safe_url(url)}: not a SQLAlchemy URL; write e.g. sqlite:///data.db or postgresql://user@host/db") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            raise DataError(f"{_safe_url(url)}: database file {parsed.database} not found; check data.<role>.url")
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DataError(f"{_safe_url(url)}: cannot use this database URL ({str(exc).splitlines()[0]}); install its driver or fix the URL") from None
    try:
        with engine.connect() as conn:
            table = pd.read_sql_query(sa.text(spec.sql), conn)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ else exc
        first = str(getattr(cause, "orig", cause)).strip().splitlines()[0]
        raise DataError(f"{_safe_url(url)}: the query failed or the database is unreachable ({first}); "
                        "check the URL and the SQL under data.<role>") from None
    finally:
        engine.dispose()
    return _typed_to_frame(table, id_columns, as_text), {}


def _safe_url(url: str | None) -> str:
    import sqlalchemy as sa  # lazy: SQL sources only

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", str(url))


def _typed_to_frame(table: pd.DataFrame, id_columns, as_text: bool) -> pd.DataFrame:
    """Typed columns to text (or kept typed); identifier numbers always to integer text."""
    out = {}
    for name in table.columns:
        col = table[name]
        if str(name) in id_columns or as_text or not _is_typed(col):
            out[name] = _as_text(col, as_id=str(name) in id_columns)
        else:
            out[name] = col
    return pd.DataFrame(out, index=pd.RangeIndex(len(table)))


def _is_typed(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col)


def _as_text(col: pd.Series, as_id: bool = False) -> pd.Series:
    if pd.api.types.is_bool_dtype(col):
        return col.map({True: "true", False: "false"}).astype("str")
    if pd.api.types.is_float_dtype(col):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(values) & (np.mod(values, 1) == 0) & (np.abs(values) < 1e15)
        text = pd.Series(values).map(repr).astype(object)
        text[whole] = values[whole].astype(np.int64).astype(str)
        text[~np.isfinite(values) & np.isnan(values)] = None
        return pd.Series(text.to_numpy(), dtype="str")
    if pd.api.types.is_integer_dtype(col):
        return col.astype("str").where(col.notna(), None).astype("str")
    if pd.api.types.is_datetime64_any_dtype(col):
        midnight = (col.dt.normalize() == col).all()
        return col.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S").astype("str")
    if col.dtype == object:
        return col.map(lambda v: v if v is None or isinstance(v, str) else _cell_text(v, as_id)).astype("str")
    return col.astype("str")


# ------------------------------------------------------------------ registries

# Reader per format; a new format is one function and one entry here (and its suffixes below).
READERS: dict[str, Callable[..., tuple[pd.DataFrame, dict]]] = {
    "csv": _read_delimited, "xlsx": _read_excel, "parquet": _read_parquet, "sql": _read_sql,
}
FORMAT_BY_SUFFIX = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".tab": "csv", ".dat": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet",
}
# Content beats the suffix: an Excel workbook saved as "export.csv" is still a workbook.
MAGIC = ((b"PK\x03\x04", "xlsx"), (b"PAR1", "parquet"))
