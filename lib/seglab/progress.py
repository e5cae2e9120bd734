"""Progress bars that render once per step in Jupyter and as a tqdm bar in a terminal.

A text bar written to stderr inside a notebook kernel is stored as one output fragment per
refresh (a Papermill-executed ``03_segment`` held nine). In a kernel the bar is therefore
one display that is updated in place, so the notebook keeps exactly one line per step; in a
terminal it is tqdm on stderr. ``TQDM_DISABLE`` (what ``seglab run --quiet`` sets) is read
when a bar is made, not when tqdm is imported, so it silences every bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator


def enabled(progress: bool = True) -> bool:
    """Whether a bar should show: asked for, and not silenced by ``TQDM_DISABLE``."""
    return bool(progress) and os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("1", "true", "yes")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr text becomes stored output fragments)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def bar(items: Iterable, *, desc: str, unit: str = "it", total: int | None = None, progress: bool = True) -> Iterator:
    """Iterate over ``items`` with a progress bar (or none, when not :func:`enabled`)."""
    if not enabled(progress):
        return iter(items)
    if in_notebook():
        return _notebook_bar(items, desc=desc, unit=unit, total=total)
    from tqdm import tqdm  # lazy: start-up time

    return iter(tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, leave=False))


def _notebook_bar(items: Iterable, *, desc: str, unit: str, total: int | None) -> Iterator:
    from IPython.display import HTML, display  # lazy: only inside a kernel

    items = list(items) if total is None and not hasattr(items, "__len__") else items
    total = len(items) if total is None else total
    started = time.perf_counter()
    handle = display(HTML(_line(desc, 0, total, unit, 0.0)), display_id=True)
    done = 0
    for item in items:
        yield item
        done += 1
        handle.update(HTML(_line(desc, done, total, unit, time.perf_counter() - started)))


def _line(desc: str, done: int, total: int, unit: str, seconds: float, width: int = 20) -> str:
    """One line of text in a <div> (plain text and block characters survive every sanitiser)."""
    from markupsafe import Markup  # lazy: only inside a kernel

    share = done / total if total else 1.0
    filled = int(round(width * share))
    status = f"{done}/{total} {unit}" + (f" · {seconds:.0f} s" if done else "")
    status += " · done" if done and share >= 1 else ""
    line = f"{desc} {'█' * filled}{'░' * (width - filled)} {status}"
    return str(Markup('<div class="seglab-progress"><code>{}</code></div>').format(line))
