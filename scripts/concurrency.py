#!/usr/bin/env python3
"""64 writers and 64 readers at once against the real binary for a while:
zero 5xx, zero "database is locked", every answer correct, and every write
that was acknowledged is in the database afterwards."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

SECONDS = float(os.environ.get("CONCURRENCY_SECONDS", "8"))
WRITERS = int(os.environ.get("CONCURRENCY_WRITERS", "64"))
READERS = int(os.environ.get("CONCURRENCY_READERS", "64"))


def main():
    server = Server()
    try:
        server.seed()
        server.start()
        manager = server.cli("token", "user", "manager@acme.example")
        owner = server.cli("token", "admin", "owner@example.com")
        support = server.cli("token", "admin", "support@example.com")
        stop = time.monotonic() + SECONDS
        lock = threading.Lock()
        counts = {"requests": 0, "5xx": 0, "wrong": 0}
        tickets, messages, problems = [], [], []

        def note(status, ok, what):
            with lock:
                counts["requests"] += 1
                if status >= 500:
                    counts["5xx"] += 1
                if not ok:
                    counts["wrong"] += 1
                    if len(problems) < 10:
                        problems.append(f"{what}: {status}")

        def writer(n):
            mine = None
            i = 0
            while time.monotonic() < stop:
                if mine is None or i % 3 == 0:
                    status, body = server.request("POST", "/api/support/tickets", {"subject": "website", "description": f"writer {n} ticket {i}"}, manager)
                    ok = status == 201 and body["ticket"]["status"] == "new" and body["messages"][0]["body"] == f"writer {n} ticket {i}"
                    note(status, ok, "create")
                    if ok:
                        mine = body["ticket"]["id"]
                        with lock:
                            tickets.append(mine)
                else:
                    status, body = server.request("POST", f"/platform-admin/tickets/{mine}/messages", {"body": f"reply {n}.{i}"}, owner)
                    ok = status == 201 and body["ticket_id"] == mine
                    note(status, ok, "reply")
                    if ok:
                        with lock:
                            messages.append(body["id"])
                i += 1

        def reader(n):
            while time.monotonic() < stop:
                if n % 3 == 0:
                    status, body = server.request("GET", "/api/support/tickets?limit=50", token=manager)
                    ok = status == 200 and all(t["company_id"] == 1 for t in body["items"])
                    note(status, ok, "tenant list")
                elif n % 3 == 1:
                    status, body = server.request("GET", "/platform-admin/tickets?status=new", token=support)
                    ok = status == 200 and all(t["status"] == "new" and (t["subject"] in ("website", "email") or t["assigned_admin_name"] == "Sam Support") for t in body["items"])
                    note(status, ok, "support list")
                else:
                    status, body = server.request("GET", "/platform-admin/tickets/1", token=owner)
                    ok = status == 200 and body["ticket"]["id"] == 1
                    note(status, ok, "detail")

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        locked = server.log_text().lower().count("locked")
        stored_tickets = {int(r[0]) for r in server.database.rows("SELECT id FROM tickets")}
        stored_messages = {int(r[0]) for r in server.database.rows("SELECT id FROM ticket_messages")}
        missing_tickets = sum(1 for t in tickets if t not in stored_tickets)
        missing_messages = sum(1 for m in messages if m not in stored_messages)
        server.kill()
        check = server.cli("check")
        print(f"concurrency ({server.backend()}): {WRITERS} writers, {READERS} readers, {SECONDS:.0f} s")
        print(f"  requests={counts['requests']} 5xx={counts['5xx']} locked={locked} wrong={counts['wrong']}")
        print(f"  tickets created={len(tickets)} messages added={len(messages)} missing={missing_tickets + missing_messages}")
        print(f"  {check}")
        for p in problems:
            print(f"  problem: {p}")
        failed = counts["5xx"] + locked + counts["wrong"] + missing_tickets + missing_messages
        ok = failed == 0 and counts["requests"] > 0
        print(f"concurrency: {1 if ok else 0} passed, {0 if ok else 1} failed")
        return 0 if ok else 1
    finally:
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main())
