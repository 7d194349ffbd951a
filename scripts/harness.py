"""Shared helpers for the load scripts: start the real binary on a fresh
demo database, mint tokens with `ticketing token`, speak HTTP/1.1."""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BIN", os.path.join(ROOT, "target", "release", "ticketing"))


class Server:
    """The real `ticketing serve` on a free port of 127.0.0.1."""

    def __init__(self, workdir=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="ticketing-load-")
        self.db = os.path.join(self.dir, "load.db")
        # Below Linux's ephemeral range (32768 and up): a client's own
        # connection attempts while the server restarts can then never take
        # the port (a TCP self-connect), which made a restart fail to bind.
        self.port = random.randint(20000, 32000)
        self.proc = None
        self.log = os.path.join(self.dir, "serve.log")
        self.env = dict(
            os.environ,
            TICKETING_DB=self.db,
            TICKETING_AUTH_PASSWORD_MEMORY_KIB="1024",
            TICKETING_AUTH_PASSWORD_ITERATIONS="1",
            TICKETING_LOG="warn",
            # Load runs write far faster than one person: the per-account
            # write limit is off for them (it has its own tests).
            TICKETING_LIMITS_WRITES_PER_MINUTE="0",
        )
        self.env.pop("TICKETING_CONFIG", None)

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
        shutil.rmtree(self.dir, ignore_errors=True)
