"""Real services a test starts for itself: a Redis server, a Celery worker process, an SMTP server.

Each is a real process or server on loopback, on a free port, stopped by the test in `finally` (or
by the fixture). A service that does not come up fails the test; nothing here skips.
"""

import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def current_database_url() -> str:
    """The database this test runs on, for a process started from the test (a transactional test's rows)."""
    settings_dict = connection.settings_dict
    return f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"


def wait_for(condition: Callable[[], object], *, seconds: float, what: str, log: Path | None = None) -> None:
    """Poll until `condition()` is true; fail the test (with the log, if any) after `seconds`."""
    until = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > until:
            pytest.fail(f"Gave up after {seconds} s waiting for {what}" + (f"\n{log.read_text()}" if log else ""))
        time.sleep(0.1)


class RedisServer:
    """`redis-server` as a child process of the test, on a port of its own, with nothing saved to disk."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],  # noqa: S607
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.answers, seconds=10, what=f"redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class WorkerProcess:
    """`celery -A config worker --pool=solo` as a separate process, on the test database and a broker of our own."""

    def __init__(self, log: Path, **env: str) -> None:
        self.log = log
        self.env = {**os.environ, "DATABASE_URL": current_database_url(), **env}
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self.process = subprocess.Popen(  # noqa: S603
            [*WORKER, "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
        )
        wait_for(lambda: " ready." in self.log.read_text(), seconds=30, what="the worker to be ready", log=self.log)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, nothing handed back to the broker."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class Inbox:
    """An aiosmtpd handler keeping every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback that a test may stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> "SmtpServer":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command otherwise
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
        self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    @staticmethod
    def text(message: EmailMessage) -> str:
        """Everything a reader of the email sees: its headers and its body."""
        body = message.get_body(("plain",))
        content = body.get_content() if body else ""
        return "\n".join(f"{k}: {v}" for k, v in message.items()) + "\n" + content.replace("\r\n", "\n")
