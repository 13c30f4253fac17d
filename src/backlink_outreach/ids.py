"""Readable, roughly time-ordered ids: `cmp_0LbX3k9a1Fz...`.

The first ten characters encode microseconds since the epoch (monotonic within a process), so
ordering by id follows creation order, which keeps "oldest first" stable for rows written in one
batch with equal timestamps.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_lock = threading.Lock()
_last_us = 0


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    global _last_us
    with _lock:
        _last_us = max(time.time_ns() // 1000, _last_us + 1)
        stamp = _last_us
    # 47 random bits (62**8 > 2**47): collisions need the same microsecond and these bits.
    noise = int.from_bytes(secrets.token_bytes(6)) >> 1
    return f"{prefix}_{_base62(stamp, 10)}{_base62(noise, 8)}"
