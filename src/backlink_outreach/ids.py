"""Readable, roughly time-ordered ids: `cmp_18f3a2b4c5d6e7a1b2c3d4e5f6`.

The first thirteen hex digits are microseconds since the epoch (monotonic within a process), so
ordering by id follows creation order, which keeps "oldest first" stable for rows written in one
batch with equal timestamps. Twelve random hex digits follow. Hex rather than base62: both
halves come from C-level formatting, which matters when a bulk import makes ten thousand ids.
"""

from __future__ import annotations

import secrets
import threading
import time

_lock = threading.Lock()
_last_us = 0


def new_id(prefix: str) -> str:
    global _last_us
    with _lock:
        _last_us = max(time.time_ns() // 1000, _last_us + 1)
        stamp = _last_us
    # 48 random bits: a collision needs the same microsecond in two processes and these bits.
    return f"{prefix}_{stamp:013x}{secrets.token_hex(6)}"
