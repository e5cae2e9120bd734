"""Saved models: signed when written, verified before they are ever unpickled.

``model.joblib`` is a pickle, and unpickling runs whatever code the file names: a
crafted file placed in a copied run folder would run on the analyst's machine the moment
``seglab assign`` opened it. So a model is signed with the project's key when the
segment stage saves it (HMAC-SHA256 in ``model.joblib.sig``, its SHA-256 also in the
run's ``manifest.json``), and :func:`load_model` unpickles only bytes whose signature
verifies with the key of the project at hand. An unsigned, altered or foreign model is
refused with one line (exit 2) before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from pathlib import Path

import joblib

from seglab.errors import SeglabError
from seglab.io.files import write_text

SIGNATURE_SUFFIX = ".sig"
ALGORITHM = "HMAC-SHA256"
# The pseudonymisation key also signs models; a derived key keeps the two uses apart.
_PURPOSE = b"seglab model signature v1"


def signature_path(model_path: Path) -> Path:
    """``model.joblib.sig`` beside ``model.joblib``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + SIGNATURE_SUFFIX)


def _sign(data: bytes, key: bytes) -> str:
    return hmac.new(hmac.new(key, _PURPOSE, hashlib.sha256).digest(), data, hashlib.sha256).hexdigest()


def save_model(model, path: Path, key: bytes) -> str:
    """Pickle ``model`` to ``path`` and sign it with ``key``; returns the file's SHA-256."""
    path = Path(path)
    buf = io.BytesIO()
    joblib.dump(model, buf)
    data = buf.getvalue()
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    digest = hashlib.sha256(data).hexdigest()
    write_text(signature_path(path), json.dumps({"algorithm": ALGORITHM, "sha256": digest,
                                                 "signature": _sign(data, key)}, indent=2) + "\n")
    return digest


def load_model(path: Path, key: bytes, *, expected_sha256: str | None = None):
    """Unpickle a model saved by :func:`save_model`, after verifying its signature.

    Parameters
    ----------
    path : Path
        ``model.joblib``.
    key : bytes
        The project's key (:func:`seglab.io.privacy.get_secret`).
    expected_sha256 : str, optional
        The hash the run's manifest recorded; checked as well when given.

    Raises
    ------
    SeglabError
        The model has no signature, was changed after it was saved, or was signed with
        another project's key. Nothing has been unpickled then.
    """
    path = Path(path)
    sig_path = signature_path(path)
    if not sig_path.is_file():
        raise SeglabError(f"{path}: unsigned model (no {sig_path.name} beside it), so it is not opened: a model file "
                          "can run code; use the model of a run made by this project, or re-run the segmentation")
    try:
        sig = json.loads(sig_path.read_text(encoding="utf-8"))
        claimed, signature = str(sig["sha256"]), str(sig["signature"])
    except (OSError, ValueError, KeyError, TypeError):
        raise SeglabError(f"{sig_path}: not a seglab model signature; re-run the segmentation to make a new model") from None
    data = path.read_bytes()  # verified and unpickled from the same bytes
    digest = hashlib.sha256(data).hexdigest()
    if digest != claimed or (expected_sha256 and digest != expected_sha256):
        raise SeglabError(f"{path}: the model file was changed after the run saved it (its SHA-256 does not match "
                          "the run's record), so it is not opened; use the run's own model.joblib or re-run the segmentation")
    if not hmac.compare_digest(_sign(data, key), signature):
        raise SeglabError(f"{path}: the model's signature does not match this project's key (a model from another "
                          "project, or altered), so it is not opened; run seglab assign in the project that made it "
                          "or set SEGLAB_SECRET to that project's key")
    return joblib.load(io.BytesIO(data))
