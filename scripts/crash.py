#!/usr/bin/env python3
"""Crash consistency: concurrent writers create tickets and messages over
HTTP, the server is killed with SIGKILL at a random moment, restarted, and
again, several times. Every write answered 201 must still be there, the audit
log must match the tickets (`ticketing check`), and `PRAGMA integrity_check`
must say ok (on SQLite). `--postgres`: the same on PostgreSQL."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, Writers, lost_writes  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "5"))
WRITERS = int(os.environ.get("CRASH_WRITERS", "16"))


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "2026")))
    server = Server()
    acknowledged = []
    attempts = 0
    try:
        server.seed()
        manager = server.cli("token", "user", "manager@acme.example")
        owner = server.cli("token", "admin", "owner@example.com")
        for cycle in range(CYCLES):
            server.start()
            writers = Writers(WRITERS, lambda n: server, manager, owner, label=f"c{cycle} ")
            writers.start()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            writers.stop()
            acknowledged += writers.acknowledged
            attempts += writers.attempts

        db = server.database
        lost = lost_writes(db, acknowledged)
        integrity = "ok" if db.postgres else db.rows("PRAGMA integrity_check")[0][0]
        try:
            check = server.cli("check")
        except Exception as e:  # noqa: BLE001
            check = f"check failed: {getattr(e, 'stdout', '')}{getattr(e, 'stderr', '')}"
        tickets = sum(1 for a in acknowledged if a[0] == "ticket")
        print(f"crash ({server.backend()}): {CYCLES} SIGKILL cycles, {WRITERS} writers, {attempts} write attempts")
        print(f"  writes acknowledged={len(acknowledged)} (tickets {tickets}, messages {len(acknowledged) - tickets}) lost={lost}")
        print(f"  integrity={integrity}")
        print(f"  {check}")
        ok = lost == 0 and integrity == "ok" and check.startswith("ok") and len(acknowledged) > 0
        print(f"crash: {1 if ok else 0} passed, {0 if ok else 1} failed")
        return 0 if ok else 1
    finally:
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main())
