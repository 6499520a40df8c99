"""Serving the app: waitress (a production WSGI server) in HTTP mode, or Socket Mode.

With `HANDOFF_WORKERS` above 1 (PostgreSQL only) HTTP mode runs in several processes on one port,
so the app uses more than one core: Python runs one thread at a time per
process, and at a few hundred events a second one process is CPU-bound. Each worker is a replica
(its own app, connection pool and scheduler); the database serialises what they share.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
from types import FrameType
from typing import Any

from waitress.server import create_server

from handoff_slack.app import HandoffApp, create_app
from handoff_slack.request_guard import MAX_BODY_BYTES, SlackGate
from handoff_slack.sender_notices import TooLongNotices
from handoff_slack.settings import Settings
from handoff_slack.socket_mode import SocketModeDoor
from handoff_slack.startup import StartupError

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = MAX_BODY_BYTES  # the largest body Slack can send, with room


STOP_GRACE_SECONDS = 30
# Collect the youngest generation every 10,000 net allocations instead of 700: each event
# allocates thousands of short-lived objects (Bolt deep-copies every request for its lazy
# listener), which made the collector run every few events and, under load, rescan everything.
GC_THRESHOLDS = (10_000, 50, 100)  # a worker still running this long after SIGTERM is killed


def build_http_server(app: HandoffApp, host: str, port: int, listener: socket.socket | None = None) -> Any:
    where = {"sockets": [listener]} if listener is not None else {"host": host, "port": port}
    return create_server(
        app.wsgi(),
        **where,
        threads=app.settings.http_threads,
        max_request_body_size=MAX_REQUEST_BYTES,
        ident="handoff-slack",
        clear_untrusted_proxy_headers=True,
    )


def build_socket_mode_door(app: HandoffApp) -> SocketModeDoor:
    """Socket Mode, through the same checks as HTTP (handoff_slack.request_guard.SlackGate)."""
    if app.settings.app_token is None:
        raise StartupError("Socket Mode needs SLACK_APP_TOKEN")
    gate = SlackGate(app.bolt, lazy_work=app.executor, tell_sender=TooLongNotices(app.services, app.bolt.client))
    return SocketModeDoor(gate, app.settings.app_token, app.bolt.client, concurrency=app.settings.http_threads)


def settle_garbage_collector() -> None:
    """Once started: what exists now (modules, the app, its caches) lives as long as the process.

    Frozen, the collector never rescans it; with higher thresholds it runs less often. Measured
    with the benchmark at 200 events/s: CPU per event 7.8 -> 5.5 ms (PostgreSQL), 4.9 -> 3.4 ms
    (SQLite), with no growth in memory.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def serve(app: HandoffApp, listener: socket.socket | None = None) -> None:
    """Run until interrupted (SIGINT/SIGTERM), then stop cleanly."""
    settings = app.settings
    app.start_background_work()
    settle_garbage_collector()
    try:
        if settings.socket_mode:
            door = build_socket_mode_door(app)
            try:
                door.connect()
                logger.info("handoff-slack running in Socket Mode")
                threading.Event().wait()  # until interrupted; the door's threads serve meanwhile
            finally:
                door.close()
        else:
            server = build_http_server(app, settings.host, settings.port, listener)
            if listener is None:
                logger.info(
                    "handoff-slack listening on http://%s:%s/slack/events", settings.host, server.effective_port
                )
            server.run()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        app.close()


def serve_in_workers(settings: Settings) -> int:
    """HTTP mode in `settings.workers` processes, one port; returns the exit code.

    The caller has migrated the database and checked the token (one error line, not one per
    worker). This process binds a listening socket per worker on the same port (SO_REUSEPORT:
    the kernel spreads new connections over them evenly, where one shared socket goes to
    whichever worker wakes first, often the same one, and Slack's connections are long-lived),
    forks the workers and stops them: on SIGTERM or SIGINT it passes SIGTERM on; if a worker dies
    it stops the others and returns 1, so the supervisor (systemd, Kubernetes, ...) restarts the
    whole set.
    """
    listeners: list[socket.socket] = []
    try:
        for _ in range(settings.workers):
            listeners.append(socket.create_server((settings.host, settings.port), backlog=1024, reuse_port=True))
    except OSError as error:
        for listener in listeners:
            listener.close()
        print(f"handoff-slack: cannot listen on {settings.host}:{settings.port}: {error.strerror}", file=sys.stderr)
        return 1
    workers: dict[int, int] = {}  # pid -> worker number
    for number, own in enumerate(listeners, start=1):
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            for other in listeners:  # a socket nobody accepts on would swallow its share of connections
                if other is not own:
                    other.close()
            os._exit(_run_worker(settings, own))
        workers[pid] = number
    port = listeners[0].getsockname()[1]
    for listener in listeners:
        listener.close()  # the workers have theirs
    logger.info(
        "handoff-slack listening on http://%s:%s/slack/events with %d workers", settings.host, port, settings.workers
    )
    return _Supervisor(workers).run()


def _run_worker(settings: Settings, listener: socket.socket) -> int:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # unwinds into serve(), which shuts down cleanly

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        try:
            app = create_app(settings, run_migrations=False)
        except StartupError as error:
            print(f"handoff-slack: worker {os.getpid()}: {error}", file=sys.stderr)
            return 1
        serve(app, listener)
        return 0
    except KeyboardInterrupt:  # stopped while starting
        return 0
    except BaseException:
        logger.exception("worker %s failed", os.getpid())
        return 1
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()


class _Supervisor:
    """Waits for the workers; the first signal or unexpected exit stops them all."""

    def __init__(self, workers: dict[int, int]) -> None:
        self.workers = workers  # pid -> worker number
        self.stopping_since: float | None = None
        self.killed = False
        self.code = 0

    def stop_all(self, code: int = 0) -> None:
        self.code = self.code or code
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            for pid in self.workers:
                _signal(pid, signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, lambda signum, frame: self.stop_all())
        signal.signal(signal.SIGINT, lambda signum, frame: self.stop_all())
        while self.workers:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                since = self.stopping_since
                if since is not None and not self.killed and time.monotonic() - since > STOP_GRACE_SECONDS:
                    self.killed = True
                    for straggler in self.workers:
                        logger.warning("worker %s did not stop in %s s; killing it", straggler, STOP_GRACE_SECONDS)
                        _signal(straggler, signal.SIGKILL)
                time.sleep(0.2)  # a supervisor's poll, not a synchronisation
                continue
            number = self.workers.pop(pid, None)
            if number is not None and self.stopping_since is None:
                code = os.waitstatus_to_exitcode(status)
                logger.error("worker %d (pid %d) exited with %s; stopping the others", number, pid, code)
                self.stop_all(code=1)
        logger.info("stopped")
        return self.code


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signum)
