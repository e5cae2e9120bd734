"""Pseudonymisation of personal data: keyed hashes instead of names, emails and phones.

Columns declared ``pii`` are needed to find duplicate customers, but no artifact after
cleaning may hold them. A keyed hash (HMAC-SHA256) keeps equal values equal, so a
later run with the same key can still join on them, while nobody without the key can
test a guess ("is alice@example.com in this file?") the way a plain hash allows.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seglab.errors import SeglabError

SECRET_ENV = "SEGLAB_SECRET"
SECRET_FILE = ".seglab-secret"
HASH_CHARS = 16  # 64 bits: no collision to expect below billions of distinct values


def secret_path(cfg) -> Path:
    """Where the per-project key lives: beside the reports root (git-ignored)."""
    return Path(cfg.reports_root()).parent / SECRET_FILE


def get_secret(cfg, *, create: bool = True) -> bytes:
    """The project's key: ``$SEGLAB_SECRET``, else the project's secret file.

    The file is created on first use with mode 0600, so every run of one project
    hashes a value the same way and runs can be compared; it must never be committed
    (``.gitignore`` lists it). The same key signs the run's model (:mod:`seglab.io.models`).

    Parameters
    ----------
    create : bool, default=True
        Make the key file when there is none. Verifying (``seglab assign``) passes
        False: a new key could never verify an old signature.
    """
    return project_key(Path(cfg.reports_root()), create=create)


def project_key(reports_root: Path, *, create: bool = True) -> bytes:
    """The key of the project whose run folders live under ``reports_root``.

    ``seglab assign`` finds it from where the run folder lies, never from the run's
    own params file, which travels with a copied folder.
    """
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode("utf-8")
    return _secret_from_file(Path(reports_root).parent / SECRET_FILE, create=create)


def _secret_from_file(path: Path, *, create: bool = True) -> bytes:
    if not path.exists():
        if not create:
            raise SeglabError(f"{path}: no project key here (neither this file nor {SECRET_ENV}); run seglab in the "
                              f"project that made the run, or set {SECRET_ENV} to that project's key")
        _create_key(path)
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SeglabError(f"{path}: cannot read the project key ({exc.__class__.__name__}); "
                          f"delete the file to make a new one, or set {SECRET_ENV}") from None
    if not key:
        raise SeglabError(f"{path}: the project key file is empty; delete it to make a new one, or set {SECRET_ENV}")
    return key.encode("ascii")


def _create_key(path: Path) -> None:
    """Write a new key atomically: a complete temp file, then a hard link to the final name.

    ``link`` fails when the name exists, so of two runs starting at the same moment one
    key wins and both use it; a reader never sees an empty or half-written key file.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".seglab-secret-", dir=path.parent)
    except OSError as exc:
        raise SeglabError(f"{path}: cannot create the project key ({exc.strerror or exc}); make {path.parent} "
                          f"writable or set {SECRET_ENV}") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # made by a run started at the same moment: use theirs
        except OSError:
            if os.name != "nt":
                raise
            with contextlib.suppress(FileExistsError):  # Windows: rename never replaces
                os.rename(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace each value by its keyed hash; missing values stay missing.

    Parameters
    ----------
    values : Series
        Text already normalised for matching (so that ``A@X.COM`` and ``a@x.com``
        get one hash).
    key : bytes
        From :func:`get_secret`.

    Returns
    -------
    Series of str
        ``HASH_CHARS`` hex characters per value, same index.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    # One HMAC per distinct value: unavoidable Python, but over uniques only, in OpenSSL.
    digest = hmac.digest
    hashed = np.array([digest(key, str(u).encode("utf-8"), "sha256").hex()[:HASH_CHARS] for u in uniques] + [None],
                      dtype=object)
    return pd.Series(hashed[codes], index=values.index, dtype="str")


def pseudonymise_frame(frame: pd.DataFrame, columns, key: bytes) -> pd.DataFrame:
    """A copy of ``frame`` with ``columns`` (those present) replaced by keyed hashes."""
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = pseudonymise(out[col], key)
    return out


# ------------------------------------------------------------ undeclared personal data

# Kinds of personal data recognised by their shape (privacy.undeclared). A "strong" shape
# is personal on its own: one such value in a column is a finding. A "weak" shape (a bare
# run of digits that passes a checksum, a two-word capitalised name) also fits ordinary
# ids and numbers, so only a column where most values have it is a finding.
EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
CN_MOBILE = r"^(\+?86[\s\-]?|0086[\s\-]?)?1[3-9]\d([\s\-]?\d{4}){2}$"
PHONE = (r"^(\+|00)\d{1,3}[\s\-.(]*\d[\d\s\-.()]{5,16}\d$"          # +44 20 7946 0958, 0049 30 123456
         r"|^\(?\d{3}\)?[\s\-.]\d{3}[\s\-.]\d{4}$"                   # (555) 123-4567, 555-123-4567
         r"|^0\d{2,3}[\s\-]\d{7,8}$")                                # 010-12345678 (Chinese landline)
CN_ID = r"^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$"
CARD = r"^\d{4}([\s\-]?\d{4}){2}[\s\-]?\d{1,7}$"
PERSON_NAME = r"^[A-ZÀ-Þ][a-zß-ÿ'\-]+( [A-ZÀ-Þ][a-zß-ÿ'\-]+){1,2}$"
STRONG = {"e-mail": EMAIL, "phone": CN_MOBILE + "|" + PHONE, "resident ID": CN_ID}
WEAK_SHARE = 0.8  # a column whose values mostly have a weak shape
_CN_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _cn_id_valid(text: str) -> bool:
    """The ISO 7064 MOD 11-2 check digit of a Chinese resident ID number."""
    digits = np.frombuffer(text[:17].encode("ascii"), dtype=np.uint8) - 48
    return "10X98765432"[int((digits * _CN_ID_WEIGHTS).sum() % 11)] == text[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a bank card number (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def personal_kind(value) -> str | None:
    """The kind of personal data one value looks like (strong shapes and card numbers), or None.

    Used to keep values out of repairs.csv and quarantine.csv one by one, where a single
    e-mail address typed into an income column must not appear raw.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not 6 <= len(text) <= 254:
        return None
    for kind, pattern in STRONG.items():
        if re.match(pattern, text) and (kind != "resident ID" or _cn_id_valid(text)):
            return kind
    if re.match(CARD, text):
        digits = re.sub(r"\D", "", text)
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return "bank card"
    return None


def find_personal_data(values: pd.Series, *, sample: int = 200_000) -> dict[str, int]:
    """Kinds of personal data in a column and how many distinct values have each.

    Strong shapes (e-mail, phone, resident ID with a valid check digit) count one by one,
    over every value; weak shapes (bank card numbers that pass the Luhn check, "Firstname
    Lastname") count only when at least :data:`WEAK_SHARE` of the values (a sample of
    ``sample``) have them. The patterns run in Arrow's RE2 over the column as it is (a
    million values in a fraction of a second); Python looks only at the matches.

    Returns
    -------
    dict
        ``{kind: number of distinct values}``, empty when nothing was found.
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return {}  # typed numbers and dates (Parquet, SQL) hold no such text
    try:
        a = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        a = pa.array(values.astype("str"), from_pandas=True)
    if not pa.types.is_string(a.type) and not pa.types.is_large_string(a.type):
        a = pc.cast(a, pa.string())
    a = pc.utf8_trim_whitespace(pc.drop_null(a))
    length = pc.utf8_length(a)
    a = a.filter(pc.and_(pc.greater_equal(length, 6), pc.less_equal(length, 254)))
    if not len(a):
        return {}
    found = {}
    for kind, pattern in STRONG.items():
        hit = pc.unique(a.filter(pc.match_substring_regex(a, pattern)))
        if kind == "resident ID":
            hit = [v for v in hit.to_pylist() if _cn_id_valid(v)]
        if len(hit):
            found[kind] = int(len(hit))
    probe = a if len(a) <= sample else a.take(np.random.default_rng(0).choice(len(a), sample, replace=False))
    cards = [re.sub(r"\D", "", v) for v in probe.filter(pc.match_substring_regex(probe, CARD)).to_pylist()]
    passing = sum(13 <= len(d) <= 19 and luhn_valid(d) for d in cards)
    if passing >= max(1, WEAK_SHARE * len(probe)):
        found["bank card"] = int(len(set(cards)))
    names = probe.filter(pc.match_substring_regex(probe, PERSON_NAME))
    if len(names) >= max(2, WEAK_SHARE * len(probe)):
        found["personal name"] = int(len(pc.unique(names)))
    return found


def mask_personal_values(values: pd.Series, key: bytes) -> pd.Series:
    """``values`` with every value that looks personal (:func:`personal_kind`) replaced by its keyed hash."""
    text = values.astype("str")
    mask = text.map(personal_kind, na_action="ignore").notna().to_numpy(bool)
    if not mask.any():
        return values
    out = values.astype(object).copy()
    out[mask] = pseudonymise(text[mask].str.strip().str.lower(), key).to_numpy(dtype=object)
    return out
