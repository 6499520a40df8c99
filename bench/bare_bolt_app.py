"""The baseline: a bare Bolt app served like ours, whose message listener acks and posts one message.

Run as `python -m bench.bare_bolt_app` with the same variables as `main.py` (SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL, PORT, HOST, HANDOFF_HTTP_THREADS).

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
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

MAX_REQUEST_BYTES = 2 * 1024 * 1024  # as handoff_slack.server


def build_app() -> tuple[App, ThreadPoolExecutor]:
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

    def post(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event.get("thread_ts"),
            text=event.get("text") or " ",
            parse="none",
            link_names=False,
            unfurl_links=False,
            unfurl_media=False,
        )

    app.event("message")(ack=acknowledge, lazy=[post])
    app.action({"type": "block_actions"})(acknowledge)
    app.command("/handoff-queue")(acknowledge)
    return app, executor


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    app, executor = build_app()
    handler = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/slack/events" and method == "POST":
            return handler(environ, start_response)
        if path == "/healthz" and method == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
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
    sys.exit(main())
