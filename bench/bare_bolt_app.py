"""The baseline: a bare Bolt app served like ours, whose message listener acks and posts one message.

Run as `python -m bench.bare_bolt_app` with the same variables as `main.py` (SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL, PORT, HOST, HANDOFF_HTTP_THREADS); with
`--durable-sqlite FILE`, the second baseline (the durable floor, below).

It is the floor of what any Bolt relay can do, built the way ours is so that the difference is
our work, not the plumbing:

- the same Bolt `App` set-up: `process_before_response=True`, the bot token verified once at
  start-up, a `ThreadPoolExecutor` of HANDOFF_HTTP_THREADS (16) threads for lazy listeners;
- the same serving: waitress with HANDOFF_HTTP_THREADS threads, the same request-size limit,
  `POST /slack/events` (Bolt's own WSGI adapter) and `GET /healthz`;
- the listener acks at once (the ack phase does nothing else: no database) and a *lazy* listener
  then posts one chat.postMessage with the event's text, into the event's channel and thread,
  with the same options our relay uses. Posting in a lazy listener is what lets the ack return
  before the Slack call, exactly like our relay; posting before the ack would make its ack slower
  and its relay faster than any real relay that must survive Slack being slow.
- `block_actions` and slash commands are acked (the baseline is only measured on message events).

The durable floor (`--durable-sqlite FILE`): the same app, but before `ack()` the ack listener
stores the event (event_id, channel, ts, text) in a fresh SQLite file, with the connection settings
handoff-slack uses for SQLite (`journal_mode=WAL`, `synchronous` left at its default, FULL;
`foreign_keys=ON`, `busy_timeout=30000`, autocommit off in the driver and `BEGIN IMMEDIATE`): one
INSERT in one transaction, committed, then the ack. Plain `sqlite3`, no ORM, one connection per
thread: the least any relay that must store a message durably before acknowledging it pays. The
event_id is the table's key (`ON CONFLICT DO NOTHING`), as any relay needs to recognise Slack's
redeliveries. The lazy post is the bare baseline's. `GET /bench/store` answers the store's
settings as its connections see them and its row count.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

MAX_REQUEST_BYTES = 2 * 1024 * 1024  # as handoff_slack.server
# The options our relay posts with (handoff_slack.slack.outbox): no mentions, no unfurls.
POST_OPTIONS: dict[str, Any] = {"parse": "none", "link_names": False, "unfurl_links": False, "unfurl_media": False}


class DurableStore:
    """One SQLite file, one connection per thread, each event committed before the ack."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()
        connection = self.connection()
        connection.execute(
            "CREATE TABLE IF NOT EXISTS event (event_id TEXT PRIMARY KEY, channel TEXT NOT NULL,"
            " ts TEXT NOT NULL, text TEXT NOT NULL)"
        )

    def connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self.local, "connection", None)
        if connection is None:
            # As handoff_slack.storage.database for SQLite: the driver leaves transactions to us.
            connection = sqlite3.connect(self.path, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=30000")
            self.local.connection = connection
        return connection

    def store(self, event_id: str, event: dict[str, Any]) -> None:
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO event (event_id, channel, ts, text) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (event_id, event["channel"], event["ts"], event.get("text") or ""),
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def info(self) -> dict[str, Any]:
        connection = self.connection()
        return {
            "path": self.path,
            "sqlite": sqlite3.sqlite_version,
            "journal_mode": connection.execute("PRAGMA journal_mode").fetchone()[0],
            "synchronous": connection.execute("PRAGMA synchronous").fetchone()[0],  # 2: FULL
            "rows": connection.execute("SELECT count(*) FROM event").fetchone()[0],
        }


def build_app(store: DurableStore | None = None) -> tuple[App, ThreadPoolExecutor]:
    threads = int(os.environ.get("HANDOFF_HTTP_THREADS", "16"))
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=15)
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lazy-listener")
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=client,
        process_before_response=True,
        token_verification_enabled=True,
        listener_executor=executor,
        logger=logging.getLogger("slack_bolt"),
    )

    def acknowledge(ack: Ack) -> None:
        ack()

    def store_then_acknowledge(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        store.store(body["event_id"], event)  # type: ignore[union-attr]
        ack()

    def post(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(
            channel=event["channel"], thread_ts=event.get("thread_ts"), text=event.get("text") or " ", **POST_OPTIONS
        )

    app.event("message")(ack=acknowledge if store is None else store_then_acknowledge, lazy=[post])
    app.action({"type": "block_actions"})(acknowledge)
    app.command("/handoff-queue")(acknowledge)
    return app, executor


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_bolt_app", description=__doc__)
    parser.add_argument(
        "--durable-sqlite",
        metavar="FILE",
        default="",
        help="the durable floor: commit each event to this SQLite file before the ack",
    )
    args = parser.parse_args(argv[1:])
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    store = DurableStore(args.durable_sqlite) if args.durable_sqlite else None
    app, executor = build_app(store)
    handler = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/slack/events" and method == "POST":
            return handler(environ, start_response)
        if path == "/healthz" and method == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/bench/store" and method == "GET" and store is not None:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(store.info()).encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]

    server = create_server(
        wsgi,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3000")),
        threads=int(os.environ.get("HANDOFF_HTTP_THREADS", "16")),
        max_request_body_size=MAX_REQUEST_BYTES,
        ident="bare-bolt",
        clear_untrusted_proxy_headers=True,
    )

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        executor.shutdown(wait=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
