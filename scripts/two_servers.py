#!/usr/bin/env python3
"""Two `ticketing serve` processes over one PostgreSQL database, load spread
across both. The spec's flow alternates between the servers (a ticket opened
on one is answered on the other, and polling either sees it); then writers
hit both, one server is killed with SIGKILL, and the other must keep
serving. Every write either server acknowledged must be in the database, and
`ticketing check` must pass.

Needs TICKETING_TEST_DATABASE_URL (a database on a server where that role
may create databases) and `psql`."""

import os
import random
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Database, Server, Writers, lost_writes  # noqa: E402

WRITERS = int(os.environ.get("TWO_SERVERS_WRITERS", "16"))


def main():
    if not os.environ.get("TICKETING_TEST_DATABASE_URL"):
        print("two servers: TICKETING_TEST_DATABASE_URL is not set", file=sys.stderr)
        return 1
    harness.POSTGRES = True
    database = Database(tempfile.mkdtemp(prefix="ticketing-two-"))
    servers = [Server(database=database), Server(database=database)]
    a, b = servers
    failures = []

    def expect(what, ok):
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    try:
        a.seed()
        # Both start at once: the migrations take turns on their lock.
        starters = [threading.Thread(target=s.start) for s in servers]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        manager = a.cli("token", "user", "manager@acme.example")
        owner = b.cli("token", "admin", "owner@example.com")

        # --- The spec's flow, alternating servers ---
        status, body = a.request("POST", "/api/support/tickets",
                                 {"subject": "website", "description": "Opened on server A"}, manager)
        expect("a manager opens a ticket on server A", status == 201)
        tid = body["ticket"]["id"]
        status, listed = b.request("GET", "/platform-admin/tickets?limit=100", None, owner)
        expect("server B lists it for the team", status == 200 and tid in [t["id"] for t in listed["items"]])
        status, detail = a.request("GET", f"/api/support/tickets/{tid}", None, manager)
        expect("server A shows it to its manager", status == 200)
        status, _ = b.request("PATCH", f"/platform-admin/tickets/{tid}/status", {"status": "in_progress"}, owner)
        expect("server B moves it to in_progress", status == 200)
        status, _ = b.request("POST", f"/platform-admin/tickets/{tid}/messages", {"body": "Answered on server B"}, owner)
        expect("server B answers it", status == 201)
        for s, label in ((a, "A"), (b, "B")):
            status, detail = s.request("GET", f"/api/support/tickets/{tid}", None, manager)
            bodies = [m["body"] for m in detail["messages"]] if status == 200 else []
            expect(f"polling server {label} sees the answer", "Answered on server B" in bodies
                   and detail["ticket"]["status"] == "in_progress")
        status, _ = a.request("POST", f"/api/support/tickets/{tid}/messages", {"body": "Thanks, from A"}, manager)
        expect("the manager replies on server A", status == 201)
        status, _ = b.request("PATCH", f"/platform-admin/tickets/{tid}/status", {"status": "closed"}, owner)
        expect("server B closes it", status == 200)
        status, _ = a.request("POST", f"/api/support/tickets/{tid}/messages", {"body": "Too late"}, manager)
        expect("server A refuses a reply on the closed ticket", status == 409)

        # --- Load on both, then SIGKILL one ---
        killed = threading.Event()
        writers = Writers(WRITERS, lambda n: servers[n % 2], manager, owner, ticket_every=3, tag=killed.is_set)
        writers.start()
        time.sleep(random.uniform(1.0, 2.0))
        a.kill(signal.SIGKILL)
        killed.set()
        time.sleep(1.5)
        writers.stop()
        acknowledged = writers.acknowledged
        after_kill = sum(1 for *_, server, late in acknowledged if server is b and late)
        status, _ = b.request("GET", "/healthz")
        expect("server B still answers after A was killed", status == 200)
        expect(f"server B acknowledged writes after the kill ({after_kill})", after_kill > 0)

        lost = lost_writes(database, acknowledged)
        expect(f"{len(acknowledged)} acknowledged writes, {lost} lost", lost == 0 and len(acknowledged) > 0)
        check = b.cli("check")
        expect(f"ticketing check: {check}", check.startswith("ok"))
        print(f"two servers: {len(acknowledged)} writes acknowledged across both, "
              f"{after_kill} by B after A was killed, {lost} lost")
    finally:
        for s in servers:
            s.cleanup()
        database.drop()
    print(f"two servers: {0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
