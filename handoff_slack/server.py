"""Serving the app: waitress (a production WSGI server) in HTTP mode, or Socket Mode.

With `HANDOFF_WORKERS` above 1 (PostgreSQL only) HTTP mode runs in several processes on one port,
so the app uses more than one core: Python runs one thread at a time per
process, and at a few hundred events a second one process is CPU-bound. Each worker is a replica
(its own app, connection pool and scheduler); the database serialises what they share.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import sys
import threading
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer
from waitress.server import create_server

from handoff_slack.app import HandoffApp, create_app
from handoff_slack.request_guard import MAX_BODY_BYTES, SlackGate
from handoff_slack.sender_notices import TooLongNotices
from handoff_slack.settings import Settings
from handoff_slack.socket_mode import SocketModeDoor
from handoff_slack.startup import StartupError

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = MAX_BODY_BYTES  # the largest body Slack can send, with room


STOP_GRACE_SECONDS = 30  # a worker still running this long after SIGTERM is killed
KEEPALIVE_SECONDS = 75  # an idle keep-alive connection is kept this long (longer than load balancers' 60 s)
WORKER_BOOT_ERROR: int = Arbiter.WORKER_BOOT_ERROR
# Collect the youngest generation every 10,000 net allocations instead of 700: each event
# allocates thousands of short-lived objects (Bolt deep-copies every request for its lazy
# listener), which made the collector run every few events and, under load, rescan everything.
GC_THRESHOLDS = (10_000, 50, 100)


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
    """HTTP mode in `settings.workers` gunicorn workers on one port; returns the exit code.

    The caller has migrated the database and checked the token (one error line, not one per
    worker). gunicorn's arbiter forks the workers; with `reuse_port` each worker binds its own
    listening socket (SO_REUSEPORT: the kernel spreads new connections over them evenly, where one
    shared socket goes to whichever worker wakes first, and Slack's connections are long-lived).
    SIGTERM stops the set gracefully (in-flight requests finish, then each worker closes its app);
    SIGINT quickly. A worker that dies is replaced by a fresh one while the others keep serving;
    one that cannot start stops the set with exit 1 for the supervisor (systemd, Kubernetes, ...).
    """
    # gunicorn's workers bind after the fork, and one that cannot is restarted for ever: try here
    # first, so a port another program holds is one line and exit 1, as in one process.
    try:
        socket.create_server((settings.host, settings.port), backlog=1, reuse_port=True).close()
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)  # without create_server's address suffix
        print(f"handoff-slack: cannot listen on {settings.host}:{settings.port}: {reason}", file=sys.stderr)
        return 1
    arbiter = os.getpid()
    try:
        _Workers(settings).run()
    except SystemExit as ended:
        if os.getpid() != arbiter:
            raise  # a worker ending: its exit code tells the arbiter how (e.g. failed to boot)
        return 0 if ended.code in (0, None) else 1
    except HaltServer:
        # Workers that failed to boot (each said why, in one line): the arbiter halts. When a second
        # one ends while it halts, gunicorn raises this out of its own halt instead of exiting.
        return 1
    return 0


# gunicorn publishes no type information: BaseApplication is `Any` to mypy, a library boundary.
class _Workers(BaseApplication):  # type: ignore[misc]
    """gunicorn's arbiter and `gthread` workers (a thread pool per process, as waitress's) serving
    the app; each worker builds its own app (connection pool, scheduler, lazy executor)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: HandoffApp | None = None  # the worker's own, once built
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        options: dict[str, object] = {
            "bind": [f"{host}:{settings.port}"],
            "workers": settings.workers,
            "worker_class": "gthread",
            "threads": settings.http_threads,
            "reuse_port": True,
            "backlog": 1024,
            "keepalive": KEEPALIVE_SECONDS,
            "graceful_timeout": STOP_GRACE_SECONDS,
            "loglevel": settings.log_level.lower(),
            "proc_name": "handoff-slack",
            "control_socket_disable": True,  # no control socket file (newer gunicorn; older ones have none)
            "when_ready": self._ready,
            "worker_exit": self._worker_exit,
        }
        for key, value in options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        """In each worker, after the fork: its own app, as one process would run it."""
        try:
            app = create_app(self.settings, run_migrations=False)
        except StartupError as error:
            print(f"handoff-slack: worker {os.getpid()}: {error}", file=sys.stderr)
            sys.exit(WORKER_BOOT_ERROR)  # gunicorn's arbiter then stops the set instead of retrying
        self.app = app
        app.start_background_work()
        settle_garbage_collector()
        logger.info("worker %s ready", os.getpid())
        return app.wsgi()

    def _ready(self, arbiter: Any) -> None:
        settings = self.settings
        logger.info(
            "handoff-slack listening on http://%s:%s/slack/events with %d workers",
            settings.host,
            settings.port,
            settings.workers,
        )

    def _worker_exit(self, arbiter: Any, worker: Any) -> None:  # in the worker, as it ends
        if self.app is not None:  # the scheduler stops; lazy listeners in flight finish their Slack calls
            self.app.close()
