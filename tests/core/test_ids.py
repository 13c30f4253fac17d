from __future__ import annotations

import re

from backlink_outreach.ids import new_id


def test_ids_are_unique_readable_and_in_creation_order() -> None:
    ids = [new_id("lead") for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"lead_[A-Za-z0-9]+", i) for i in ids)


def test_a_forked_child_draws_random_bits_of_its_own() -> None:
    import os

    new_id("lead")  # the parent holds a block of random bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id's random half, then out without cleanup
        os.write(write, new_id("lead")[-12:].encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 12
    assert child != new_id("lead")[-12:]
