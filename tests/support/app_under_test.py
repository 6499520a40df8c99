"""The real app, served over HTTP on a free port, talking to the fake Slack Web API."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from handoff_slack.app import HandoffApp, create_app
from handoff_slack.core.clock import Clock, utcnow
from handoff_slack.server import build_http_server
from handoff_slack.settings import Settings, load_settings
from tests.support.fake_slack import FakeSlack
from tests.support.migrated_template import from_migrated_template
from tests.support.slack_requests import SlackSender

SIGNING_SECRET = "test-signing-secret"
# Without scenarios, triage or automatic escalation: the hand-off loop on its own.
PLAIN_HANDOFF_CONFIG = str(Path(__file__).parent.parent / "fixtures" / "bot" / "plain_handoff.yaml")
SUPPORT_CHANNEL = "CSUPPORT"
ADMIN = "UADMIN"


def settings_for(fake: FakeSlack, database_url: str, **overrides: str) -> Settings:
    env = {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "HANDOFF_SUPPORT_CHANNEL": SUPPORT_CHANNEL,
        "HANDOFF_ADMINS": ADMIN,
        "HANDOFF_DELIVERY_RETRY_SECONDS": "1",
        "HANDOFF_HTTP_THREADS": "8",
        "HANDOFF_CONFIG": PLAIN_HANDOFF_CONFIG,
    }
    env.update(overrides)
    return load_settings(env)


class SlackEdge:
    """Anything serving the app's HTTP edge at `base_url`: Slack's requests go to its events URL."""

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def events_url(self) -> str:
        return self.base_url + "/slack/events"

    @property
    def slack(self) -> SlackSender:
        """Signed requests to the app, as Slack would send them."""
        return SlackSender(self.events_url, SIGNING_SECRET)


class AppUnderTest(SlackEdge):
    """Starts and stops the app like a process would: same database, fresh memory."""

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock  # the app's clock (a test may move it on)
        self.app: HandoffApp | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> AppUnderTest:
        from_migrated_template(self.settings.database_url)
        self.app = create_app(self.settings, clock=self.clock)
        self._server = build_http_server(self.app, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.run, name="app-http", daemon=True)
        self._thread.start()
        self.app.start_background_work()
        return self

    def stop(self) -> None:
        if self._server is not None:
            # Closed from inside waitress's loop, woken by its trigger: the loop thread ends now
            # instead of after its 1 s poll timeout (which would add ~1 s to every test).
            try:
                self._server.trigger.pull_trigger(self._server.close)
            except OSError:  # the loop already closed its trigger (it ended on its own): close directly
                self._server.close()
            assert self._thread is not None
            self._thread.join(10)
            # A single server's close() leaves its request threads waiting on their queue for ever
            # (waitress stops them only for a multi-socket server): 8 idle threads per app, thousands
            # per worker over a run. They end here, once any request still in flight is answered.
            self._server.task_dispatcher.shutdown()
            self._server = None
        if self.app is not None:
            self.app.close()
            self.app = None

    def restart(self) -> AppUnderTest:
        self.stop()
        return self.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}"

    @property
    def helpdesk(self):  # type: ignore[no-untyped-def]
        assert self.app is not None
        return self.app.services.helpdesk
