"""Files every stage writes: atomically (readers never see half a file), and under a
lock where several runs share one file (the runs index)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


def write_text(path: Path, text: str) -> None:
    """Write a file atomically (temp file + rename) so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, data) -> None:
    """Write JSON atomically; NaN and infinities become null (they are not JSON, and no
    artifact may carry them)."""
    write_text(path, json.dumps(finite(data), indent=2, ensure_ascii=False, default=_json_default, allow_nan=False))


def finite(data):
    """``data`` with every non-finite float (NaN, inf, numpy's too) replaced by None."""
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(v) for v in data]
    if isinstance(data, float) or (hasattr(data, "dtype") and getattr(data, "ndim", 1) == 0 and data.dtype.kind == "f"):
        return float(data) if math.isfinite(data) else None
    return data


def json_ready(data):
    """``data`` as the plain JSON values write_json would write (numpy numbers, dates and paths
    converted, NaN and infinities as None)."""
    return json.loads(json.dumps(finite(data), ensure_ascii=False, default=_json_default, allow_nan=False))


def _json_default(obj):
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")



@contextlib.contextmanager
def locked(root: Path):
    """An exclusive lock on the reports root, for rebuilding shared files.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows: both released by the
    operating system when the process dies, so a killed run never leaves a stale lock.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        else:  # pragma: no cover - exercised on Windows only
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)
            else:  # pragma: no cover
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)


def tree_sha256(root: Path, suffixes: tuple[str, ...]) -> str:
    """SHA-256 over the relative paths and bytes of the files under ``root`` ending in ``suffixes``."""
    h = hashlib.sha256()
    root = Path(root)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(suffixes)):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def files_sha256(files: list[Path], root: Path) -> str:
    """SHA-256 over the paths (from ``root``: hive folders carry values) and bytes of several input files."""
    h = hashlib.sha256()
    for path in files:
        h.update(Path(path).relative_to(root).as_posix().encode("utf-8") + b"\0" + file_sha256(path).encode("ascii"))
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (inputs can be gigabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def portable_path(target: Path, folder: Path) -> str:
    """How a file written in ``folder`` (a params file) names ``target``: relative when the two
    share a folder below the file-system root (the project moves as a whole), else absolute."""
    target, folder = Path(target).resolve(), Path(folder).resolve()
    if os.path.commonpath([target, folder]) == os.path.abspath(os.sep):
        return target.as_posix()
    return Path(os.path.relpath(target, folder)).as_posix()
