"""Progress for long steps: a bar on a terminal, periodic plain lines in log files."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

log = logging.getLogger("riata")

Item = TypeVar("Item")


def progress(
    items: Iterable[Item],
    *,
    total: int,
    description: str,
    log_every_seconds: float = 10.0,
) -> Iterator[Item]:
    """Yield ``items`` while reporting progress.

    On a terminal a tqdm bar is drawn on stderr. Otherwise (a Snakemake log file, a cluster job) a
    plain line ``<description>: i/total (pct%)`` is logged at most every ``log_every_seconds`` seconds,
    plus one at the end, so a log shows that a long step is alive without flooding it.
    """
    if sys.stderr.isatty():
        yield from tqdm(items, total=total, desc=description, file=sys.stderr)
        return
    last_report = time.monotonic()
    done = 0
    for done, item in enumerate(items, start=1):
        yield item
        now = time.monotonic()
        if now - last_report >= log_every_seconds and done < total:
            log.info("%s: %d/%d (%.0f%%)", description, done, total, 100.0 * done / max(total, 1))
            last_report = now
    log.info("%s: %d/%d done", description, done, total)
