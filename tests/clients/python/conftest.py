"""Fixtures for the influxdb-client-python suite.

Each test module gets its own influx-authz process (a free port, a redb file in a temp dir) and
stops it at the end. The server is reached only through influxdb_client's own APIs; the readiness
poll uses the library's ping().
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from influxdb_client import InfluxDBClient, OnboardingRequest, SetupService

REPO = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("INFLUX_AUTHZ_BIN", REPO / "target" / "debug" / "influx-authz"))

ADMIN = "admin"
PASSWORD = "admin-password-1"
ORG = "my-org"
BUCKET = "my-bucket"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One influx-authz process. `restart()` keeps the redb file."""

    def __init__(self, workdir: Path, args: tuple[str, ...] = ()):
        self.workdir = workdir
        self.db_path = workdir / "influx-authz.redb"
        self.log_path = workdir / "server.log"
        self.args = tuple(args)
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self._clients: list[InfluxDBClient] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, args: tuple[str, ...] | None = None) -> "Server":
        if not BIN.is_file():
            pytest.fail(f"influx-authz binary not found at {BIN}; build it or set INFLUX_AUTHZ_BIN")
        if args is not None:
            self.args = tuple(args)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("INFLUXD_", "INFLUX_AUTHZ_", "DOCKER_INFLUXDB_"))}
        cmd = [str(BIN), "serve", "--http-bind-address", f"127.0.0.1:{self.port}",
               "--db-path", str(self.db_path), *self.args]
        log = open(self.log_path, "ab")
        log.write(f"\n$ {' '.join(cmd)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
        log.close()
        probe = InfluxDBClient(url=self.url, timeout=1_000)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    pytest.fail(f"influx-authz exited with {self.proc.returncode}:\n{self.log_tail()}")
                if probe.ping():
                    return self
                time.sleep(0.05)
        finally:
            probe.close()
        self.stop()
        pytest.fail(f"influx-authz did not answer /ping within 30s:\n{self.log_tail()}")

    def stop(self) -> None:
        for c in self._clients:
            c.close()
        self._clients.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, args: tuple[str, ...] | None = None) -> "Server":
        self.stop()
        return self.start(args)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def client(self, token: str | None = None, **kwargs) -> InfluxDBClient:
        """A client closed when the server stops. Each call builds a fresh one."""
        c = InfluxDBClient(url=self.url, token=token, **kwargs)
        self._clients.append(c)
        return c

    def onboard(self, token: str | None = None, **fields) -> SimpleNamespace:
        """POST /api/v2/setup through the library's SetupService."""
        anon = self.client()
        setup = SetupService(anon.api_client)
        request = OnboardingRequest(username=fields.get("username", ADMIN),
                                    password=fields.get("password", PASSWORD),
                                    org=fields.get("org", ORG),
                                    bucket=fields.get("bucket", BUCKET),
                                    retention_period_seconds=fields.get("retention_period_seconds"),
                                    token=token)
        response = setup.post_setup(onboarding_request=request)
        op = self.client(response.auth.token, org=response.org.name)
        return SimpleNamespace(response=response, user=response.user, org=response.org,
                               bucket=response.bucket, auth=response.auth,
                               token=response.auth.token, op=op)


@pytest.fixture(scope="module")
def server_factory():
    """Start any number of servers for one module; all are stopped at module end."""
    started: list[tuple[Server, str]] = []

    def start(*args: str) -> Server:
        workdir = Path(tempfile.mkdtemp(prefix="influx-authz-py-"))
        server = Server(workdir, args)
        started.append((server, str(workdir)))
        return server.start()

    yield start
    for server, workdir in started:
        server.stop()
        if os.environ.get("KEEP_SERVER_LOGS"):
            print(f"server log kept at {server.log_path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(server_factory) -> Server:
    return server_factory()


@pytest.fixture(scope="module")
def setup(server) -> SimpleNamespace:
    """The module's server, onboarded: admin user, my-org, my-bucket, operator token."""
    return server.onboard()
