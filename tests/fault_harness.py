"""Real processes for the fault tests: a HealthBridge server that can be killed with SIGKILL
and started again on the same database, and a private throw-away PostgreSQL cluster that can
be restarted under traffic without touching the suite's shared server.

Every process is started in its own session (process group) and the context managers kill the
group on the way out, so that a failing test leaks neither a server nor a cluster.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

SECRET_KEY = "fault-tests-secret-" + "y" * 40
PR_SET_PDEATHSIG = 1
#: Seconds a server may take to answer /healthz after it was started.
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphans after a crash)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Launcher:
    """A process that has imported the application once and forks a server per request.

    Importing HealthBridge takes seconds (FastAPI, SQLAlchemy, numpy, scipy, Plotly); the
    fault tests start servers again and again, so each start is a ``fork`` of this process
    instead: the child sets the environment, starts its own session (process group) and runs
    ``uvicorn healthbridge.api:create_app``. Children are reaped by the launcher and die with
    it; the launcher dies with the test process.
    """

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            preexec_fn=_die_with_parent,
        )
        self._lock = threading.Lock()
        ready = self._read()
        assert ready == "ready", ready

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line:
            raise RuntimeError("the server launcher exited")
        return line

    def launch(self, env: dict[str, str], port: int, log: Path) -> int:
        """Fork a server; its process id."""
        assert self.process.stdin is not None
        with self._lock:
            message = {"env": env, "port": port, "log": str(log)}
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
            return int(self._read())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def _launcher_main() -> None:
    import uvicorn

    import healthbridge.api  # noqa: F401 - imported once, before any fork

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    print("ready", flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        pid = os.fork()
        if pid:
            print(pid, flush=True)
            continue
        try:
            os.setsid()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _die_with_parent()
            log = os.open(message["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.environ.update(message["env"])
            from healthbridge.settings import get_settings

            get_settings.cache_clear()
            uvicorn.run(
                "healthbridge.api:create_app",
                factory=True,
                host="127.0.0.1",
                port=int(message["port"]),
                log_level="warning",
            )
        finally:
            os._exit(0)


class Server:
    """A HealthBridge server on a free port, configured by the environment
    (``HEALTHBRIDGE_DATABASE_URL``, ``HEALTHBRIDGE_DATA_DIR``, ``HEALTHBRIDGE_SECRET_KEY``)."""

    def __init__(
        self, launcher: Launcher, database_url: str, data_dir: Path, **settings: str
    ) -> None:
        self.launcher = launcher
        self.database_url = database_url
        self.data_dir = data_dir
        self.settings = settings
        self.port = free_port()
        self.pid: int | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until /healthz answers 200."""
        assert self.pid is None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "HEALTHBRIDGE_DATABASE_URL": self.database_url,
            "HEALTHBRIDGE_DATA_DIR": str(self.data_dir),
            "HEALTHBRIDGE_SECRET_KEY": SECRET_KEY,
            "HEALTHBRIDGE_ENVIRONMENT": "development",
            **{f"HEALTHBRIDGE_{k.upper()}": v for k, v in self.settings.items()},
        }
        self.pid = self.launcher.launch(env, self.port, self.log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not _alive(self.pid):
                self.pid = None
                raise RuntimeError(f"the server exited at start:\n{self._tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer /healthz:\n{self._tail()}")

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, no flush; the database sees a dead client."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(self.pid), f"server {self.pid} survived SIGKILL"
        self.pid = None


@contextlib.contextmanager
def server(
    launcher: Launcher, database_url: str, data_dir: Path, **settings: str
) -> Iterator[Server]:
    """A started :class:`Server`, killed on the way out (whatever happened)."""
    running = Server(launcher, database_url, data_dir, **settings)
    try:
        running.start()
        yield running
    finally:
        running.kill()


# --- a private PostgreSQL cluster ----------------------------------------------------------------


def postgres_binary(name: str) -> str | None:
    """Debian's ``/usr/lib/postgresql/<version>/bin/<name>`` (newest), else on the PATH."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def postgres_missing() -> str | None:
    """Why a private cluster cannot start here (``None`` when it can)."""
    missing = [name for name in ("initdb", "pg_ctl") if postgres_binary(name) is None]
    if missing:
        return (
            f"PostgreSQL's {' and '.join(missing)} not found (Debian: apt-get install postgresql)"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as its own user"
    return None


class PrivatePostgres:
    """A throw-away cluster on a free port and a private socket directory, as
    ``scripts/with-postgres`` makes one (as the ``postgres`` user when we are root)."""

    def __init__(self) -> None:
        initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise FileNotFoundError("PostgreSQL's initdb and pg_ctl were not found")
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.base = tempfile.mkdtemp(prefix="hb-fault-pg-")
        self.data = os.path.join(self.base, "data")
        self.sockets = os.path.join(self.base, "sock")
        os.makedirs(self.sockets)
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
            os.chmod(self.base, 0o755)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.started = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, self.pg_ctl, "-D", self.data, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        subprocess.run(
            [
                *self.run_as,
                self.initdb,
                "-D",
                self.data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.sockets} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-l", os.path.join(self.base, "server.log"), "-w", "start")
        self.started = True

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server comes back."""
        self._pg_ctl("-m", "fast", "-w", "restart")

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(subprocess.SubprocessError):
                self._pg_ctl("-m", "immediate", "stop")
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started :class:`PrivatePostgres`, stopped and removed on the way out."""
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


if __name__ == "__main__" and sys.argv[1:] == ["--launcher"]:
    _die_with_parent()
    _launcher_main()
