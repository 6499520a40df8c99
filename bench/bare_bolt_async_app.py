"""The other serving stack: the bare Bolt baseline as an `AsyncApp` on aiohttp.

Run as `python -m bench.bare_bolt_async_app` with the variables of `bench.bare_bolt_app`
(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, PORT, HOST). Needs aiohttp, which the app
does not: `pip install -e '.[bench]'`.

The issue asks to measure the serving alternatives (a sync App under a threaded WSGI server,
AsyncApp on aiohttp, worker processes) with the same benchmark and keep the best. handoff-slack
is a sync App under waitress; this is the same bare relay on the asyncio stack, so the two
baselines side by side show what the stack itself costs per event and how far each holds:

- `AsyncApp` with `process_before_response=True`, as the sync baseline (AsyncApp verifies the bot
  token on its first request, during the benchmark's set-up, not at start-up); served by aiohttp's
  web server (`POST /slack/events` through Bolt's aiohttp adapter, `GET /healthz`), one process,
  one event loop;
- the listener acks at once and a *lazy* listener (an asyncio task) posts one chat.postMessage with
  the event's text into the event's channel and thread, through Bolt's per-request
  `AsyncWebClient` (aiohttp), with the options the sync baseline and our relay use.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.bare_bolt_app import MAX_REQUEST_BYTES, POST_OPTIONS


def build_app() -> AsyncApp:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=15)
    app = AsyncApp(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=client,
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )

    async def acknowledge(ack: AsyncAck) -> None:
        await ack()

    async def post(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(
            channel=event["channel"], thread_ts=event.get("thread_ts"), text=event.get("text") or " ", **POST_OPTIONS
        )

    app.event("message")(ack=acknowledge, lazy=[post])
    app.action({"type": "block_actions"})(acknowledge)
    app.command("/handoff-queue")(acknowledge)
    return app


def build_web_app(app: AsyncApp) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    web_app.add_routes([web.post("/slack/events", events), web.get("/healthz", health)])
    return web_app


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="python -m bench.bare_bolt_async_app", description=__doc__).parse_args(argv[1:])
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    # SIGTERM and SIGINT end run_app cleanly.
    web.run_app(
        build_web_app(build_app()),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3000")),
        print=None,
        access_log=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
