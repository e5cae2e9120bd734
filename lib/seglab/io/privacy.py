"""Pseudonymisation of personal data: keyed hashes instead of names, emails and phones.

Columns declared ``pii`` are needed to find duplicate customers, but no artifact after
cleaning may hold them. A keyed hash (HMAC-SHA256) keeps equal values equal, so a
later run with the same key can still join on them, while nobody without the key can
test a guess ("is alice@example.com in this file?") the way a plain hash allows.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from seglab.errors import SeglabError

SECRET_ENV = "SEGLAB_SECRET"
SECRET_FILE = ".seglab-secret"
HASH_CHARS = 16  # 64 bits: no collision to expect below billions of distinct values


def secret_path(cfg) -> Path:
    """Where the per-project key lives: beside the reports root (git-ignored)."""
    return Path(cfg.reports_root()).parent / SECRET_FILE


def get_secret(cfg) -> bytes:
    """The pseudonymisation key: ``$SEGLAB_SECRET``, else the project's secret file.

    The file is created on first use with mode 0600, so every run of one project
    hashes a value the same way and runs can be compared; it must never be committed
    (``.gitignore`` lists it).
    """
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode("utf-8")
    return _secret_from_file(secret_path(cfg))


def _secret_from_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by a run started at the same moment
    else:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SeglabError(f"{path}: cannot read the pseudonymisation key ({exc}); "
                          f"delete the file to make a new one, or set {SECRET_ENV}") from None
    if not key:
        raise SeglabError(f"{path}: the pseudonymisation key file is empty; delete it to make a new one, or set {SECRET_ENV}")
    return key.encode("ascii")


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
