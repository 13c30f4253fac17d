"""Readable, roughly time-ordered ids: `cmp_18f3a2b4c5d6e7a1b2c3d4e5f6`.

The first thirteen hex digits are microseconds since the epoch (monotonic within a process), so
ordering by id follows creation order, which keeps "oldest first" stable for rows written in one
batch with equal timestamps. Twelve random hex digits follow. Hex rather than base62: both
halves come from C-level formatting, which matters when a bulk import makes ten thousand ids.
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_last_us = 0
# Random bytes drawn from the OS in blocks: one `os.urandom` call per id was most of the cost of
# making 100,000 ids for a CSV import (a system call each, slow in containers). A forked child
# starts a block of its own, or parent and child would hand out the same bits.
_BLOCK = 6 * 1024
_random = b""
_used = _BLOCK


def _reset_random() -> None:
    global _random, _used
    _random, _used = b"", _BLOCK


os.register_at_fork(after_in_child=_reset_random)


def new_id(prefix: str) -> str:
    global _last_us, _random, _used
    with _lock:
        _last_us = max(time.time_ns() // 1000, _last_us + 1)
        stamp = _last_us
        if _used >= _BLOCK:
            _random, _used = os.urandom(_BLOCK), 0
        bits = _random[_used : _used + 6]
        _used += 6
    # 48 random bits: a collision needs the same microsecond in two processes and these bits.
    return f"{prefix}_{stamp:013x}{bits.hex()}"
