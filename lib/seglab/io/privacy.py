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
import secrets
import tempfile
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
