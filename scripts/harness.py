"""Shared helpers for the load scripts: start the real binary on a fresh
demo database, mint tokens with `ticketing token`, speak HTTP/1.1.

A fresh SQLite file by default; with `--postgres` on a script's command line
(or LOAD_BACKEND=postgres) a fresh database on the PostgreSQL server that
TICKETING_TEST_DATABASE_URL names, made and dropped with `psql`."""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BIN", os.path.join(ROOT, "target", "release", "ticketing"))
POSTGRES = "--postgres" in sys.argv or os.environ.get("LOAD_BACKEND") == "postgres"
# Every server of a run on PostgreSQL signs with this one secret.
SHARED_SECRET = "load-scripts-share-this-signing-secret-0123456789"


def psql(url, sql):
    """Runs SQL with `psql`; answers its rows, one list of columns each."""
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def database_url(server_url, name):
    """The URL of database `name` on the server of `server_url`."""
    base, _, query = server_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


class Database:
    """A fresh database for one run: a SQLite file in `dir`, or a PostgreSQL
    database (dropped at cleanup)."""

    def __init__(self, dir):
        self.postgres = POSTGRES
        self.path = os.path.join(dir, "load.db")
        self.url = None
        if self.postgres:
            self.server = os.environ["TICKETING_TEST_DATABASE_URL"]
            self.name = f"tkt_load_{os.getpid()}_{random.randint(0, 1 << 30)}"
            psql(self.server, f'CREATE DATABASE "{self.name}"')
            self.url = database_url(self.server, self.name)

    def env(self):
        if self.postgres:
            return {"TICKETING_DATABASE_URL": self.url, "TICKETING_AUTH_SECRET": SHARED_SECRET}
        return {"TICKETING_DB": self.path}

    def rows(self, sql):
        """Rows of a query, as strings (`?` placeholders are not supported:
        the scripts only ask with numbers they made)."""
        if self.postgres:
            return psql(self.url, sql)
        import sqlite3
        db = sqlite3.connect(self.path)
        try:
            return [[("" if v is None else str(v)) for v in row] for row in db.execute(sql).fetchall()]
        finally:
            db.close()

    def drop(self):
        if self.postgres:
            try:
                psql(self.server, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            except subprocess.CalledProcessError:
                pass


class Server:
    """The real `ticketing serve` on a free port of 127.0.0.1."""

    def __init__(self, workdir=None, database=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="ticketing-load-")
        self.database = database or Database(self.dir)
        self.owns_database = database is None
        self.db = self.database.path
        # Below Linux's ephemeral range (32768 and up): a client's own
        # connection attempts while the server restarts can then never take
        # the port (a TCP self-connect), which made a restart fail to bind.
        self.port = random.randint(20000, 32000)
        self.proc = None
        self.log = os.path.join(self.dir, "serve.log")
        self.env = dict(
            os.environ,
            **self.database.env(),
            TICKETING_AUTH_PASSWORD_MEMORY_KIB="1024",
            TICKETING_AUTH_PASSWORD_ITERATIONS="1",
            TICKETING_LOG="warn",
            # Load runs write far faster than one person: the per-account
            # write limit is off for them (it has its own tests).
            TICKETING_LIMITS_WRITES_PER_MINUTE="0",
        )
        self.env.pop("TICKETING_CONFIG", None)
        self.env.pop("TICKETING_TEST_DATABASE_URL", None)
        if not self.database.postgres:
            self.env.pop("TICKETING_DATABASE_URL", None)

    def backend(self):
        return "PostgreSQL" if self.database.postgres else "SQLite"

    def cli(self, *args):
        return subprocess.run([BIN, *args], env=self.env, check=True, capture_output=True, text=True).stdout.strip()

    def seed(self):
        self.cli("demo")

    def start(self):
        self.proc = subprocess.Popen(
            [BIN, "serve", "--bind", f"127.0.0.1:{self.port}"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "a"),
        )
        for _ in range(100):
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        with open(self.log) as f:
            tail = f.read()[-2000:]
        raise RuntimeError(f"the server did not start (exit code {self.proc.poll()}); its log ends:\n{tail}")

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        return self.proc.wait()

    def request(self, method, path, body=None, token=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw
            return resp.status, payload
        finally:
            conn.close()

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.owns_database:
            self.database.drop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Writers:
    """Threads that write until stopped: each opens a ticket as `manager`,
    then posts owner replies on its latest ticket, opening a new one every
    `ticket_every` writes. Every write answered 201 is kept in
    `acknowledged` as (kind, message id, body, server, what `tag()` said at
    the time); a write cut off by a dying server is not."""

    def __init__(self, count, server_for, manager, owner, ticket_every=2, label="", tag=lambda: None):
        self.acknowledged = []
        self.attempts = 0
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._threads = [threading.Thread(target=self._write, args=(n,)) for n in range(count)]
        self._server_for, self._manager, self._owner = server_for, manager, owner
        self._every, self._label, self._tag = ticket_every, label, tag

    def start(self):
        self._running.set()
        for t in self._threads:
            t.start()

    def stop(self):
        self._running.clear()
        for t in self._threads:
            t.join()

    def _write(self, n):
        server = self._server_for(n)
        last, i = None, 0
        while self._running.is_set():
            text = f"{self._label}w{n} #{i}"
            try:
                with self._lock:
                    self.attempts += 1
                if last is None or i % self._every == 0:
                    status, body = server.request("POST", "/api/support/tickets",
                                                  {"subject": "email", "description": text}, self._manager, timeout=5)
                    if status == 201:
                        last = body["ticket"]["id"]
                        self._keep("ticket", body["messages"][0]["id"], text, server)
                else:
                    status, body = server.request("POST", f"/platform-admin/tickets/{last}/messages",
                                                  {"body": text}, self._owner, timeout=5)
                    if status == 201:
                        self._keep("message", body["id"], text, server)
            except (OSError, ValueError, KeyError, TypeError):
                # The server died mid-request: this write was never acknowledged.
                pass
            i += 1

    def _keep(self, kind, message_id, text, server):
        with self._lock:
            self.acknowledged.append((kind, int(message_id), text, server, self._tag()))


def lost_writes(database, acknowledged):
    """How many acknowledged writes (as `Writers` keeps them) are not in the
    database with the body they were acknowledged with."""
    stored = {int(mid): body for mid, body in database.rows("SELECT id, body FROM ticket_messages")}
    return sum(1 for _, mid, text, *_ in acknowledged if stored.get(mid) != text)
