"""Serving the app: waitress (a production WSGI server) in HTTP mode, or Socket Mode."""

from __future__ import annotations

import logging

from waitress.server import create_server

from handoff_slack.app import HandoffApp

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 2 * 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not Slack


def build_http_server(app: HandoffApp, host: str, port: int):  # type: ignore[no-untyped-def]
    return create_server(
        app.wsgi(),
        host=host,
        port=port,
        threads=app.settings.http_threads,
        max_request_body_size=MAX_REQUEST_BYTES,
        ident="handoff-slack",
        clear_untrusted_proxy_headers=True,
    )


def serve(app: HandoffApp) -> None:
    """Run until interrupted (SIGINT/SIGTERM), then stop cleanly."""
    settings = app.settings
    app.start_background_work()
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            logger.info("handoff-slack running in Socket Mode")
            SocketModeHandler(app.bolt, settings.app_token).start()
        else:
            server = build_http_server(app, settings.host, settings.port)
            logger.info("handoff-slack listening on http://%s:%s/slack/events", settings.host, server.effective_port)
            server.run()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        app.close()
