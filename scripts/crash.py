#!/usr/bin/env python3
"""Crash consistency: concurrent writers create tickets and messages over
HTTP, the server is killed with SIGKILL at a random moment, restarted, and
again, several times. Every write answered 201 must still be there, the audit
log must match the tickets (`ticketing check`), and `PRAGMA integrity_check`
must say ok (on SQLite). `--postgres`: the same on PostgreSQL."""

import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "5"))
WRITERS = int(os.environ.get("CRASH_WRITERS", "16"))


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "2026")))
    server = Server()
    acknowledged_tickets, acknowledged_messages = [], []
    attempts = 0
    try:
        server.seed()
        manager = server.cli("token", "user", "manager@acme.example")
        owner = server.cli("token", "admin", "owner@example.com")
        for cycle in range(CYCLES):
            server.start()
            running = threading.Event()
            running.set()
            lock = threading.Lock()

            def writer(n):
                nonlocal attempts
                last = None
                i = 0
                while running.is_set():
                    try:
                        with lock:
                            attempts += 1
                        if last is None or i % 2 == 0:
                            status, body = server.request("POST", "/api/support/tickets", {"subject": "email", "description": f"c{cycle} w{n} #{i}"}, manager, timeout=5)
                            if status == 201:
                                last = body["ticket"]["id"]
                                with lock:
                                    acknowledged_tickets.append((last, f"c{cycle} w{n} #{i}"))
                        else:
                            status, body = server.request("POST", f"/platform-admin/tickets/{last}/messages", {"body": f"m c{cycle} w{n} #{i}"}, owner, timeout=5)
                            if status == 201:
                                with lock:
                                    acknowledged_messages.append((body["id"], f"m c{cycle} w{n} #{i}"))
                    except (OSError, ValueError, KeyError, TypeError):
                        # The server died mid-request: this write was never acknowledged.
                        pass
                    i += 1

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            running.clear()
            for t in threads:
                t.join()

        db = server.database
        first = {}
        bodies = {}
        for tid, mid, body in db.rows("SELECT ticket_id, id, body FROM ticket_messages ORDER BY id"):
            bodies[int(mid)] = body
            first.setdefault(int(tid), body)
        lost = 0
        for tid, description in acknowledged_tickets:
            lost += first.get(tid) != description
        for mid, body in acknowledged_messages:
            lost += bodies.get(mid) != body
        integrity = "ok" if db.postgres else db.rows("PRAGMA integrity_check")[0][0]
        try:
            check = server.cli("check")
        except Exception as e:  # noqa: BLE001
            check = f"check failed: {getattr(e, 'stdout', '')}{getattr(e, 'stderr', '')}"
        acknowledged = len(acknowledged_tickets) + len(acknowledged_messages)
        print(f"crash ({server.backend()}): {CYCLES} SIGKILL cycles, {WRITERS} writers, {attempts} write attempts")
        print(f"  writes acknowledged={acknowledged} (tickets {len(acknowledged_tickets)}, messages {len(acknowledged_messages)}) lost={lost}")
        print(f"  integrity={integrity}")
        print(f"  {check}")
        ok = lost == 0 and integrity == "ok" and check.startswith("ok") and acknowledged > 0
        print(f"crash: {1 if ok else 0} passed, {0 if ok else 1} failed")
        return 0 if ok else 1
    finally:
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main())
