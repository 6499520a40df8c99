"""The emulated workspace's state, shared by the emulator's parts (Web API, files, faults, HTTP edge).

``EmulatorState`` holds everything behind one ``threading.Condition`` (``_cond``): every read and
write of the state happens with it held, and every change notifies it, so tests wait on conditions
(``SlackEmulator.wait_for``) instead of sleeping. ``_changed`` also tells the subscribers
(``SlackEmulator.subscribe``) what changed.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from handoff_slack.sandbox.slack_shapes import Call, Params

if TYPE_CHECKING:
    from handoff_slack.sandbox.faults import Delay, Fault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What changed in the emulated workspace, as told to subscribers.

    ``kind`` is one of: ``message`` (posted), ``message_changed``, ``message_deleted``, ``ephemeral``,
    ``view_opened``, ``view_updated``, ``view_closed``, ``reaction``, ``file``, ``member``, ``user``,
    ``team``, ``channel``, ``fault`` (armed, healed, or taken by a call). ``channel``/``ts``/``user``
    say where (empty when not relevant).
    """

    kind: str
    channel: str = ""
    ts: str = ""
    user: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Change], None]


class EmulatorState:
    def __init__(self, bot_token: str, bot_user_id: str, bot_id: str, team_id: str) -> None:
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        # Socket Mode (tests/support/fake_socket_mode.py): apps.connections.open answers this token
        # with `socket_mode_url`.
        self.app_token = "xapp-test-token"
        self.socket_mode_url: str | None = None
        self._cond = threading.Condition()  # guards all state below
        self._calls: list[Call] = []
        self._messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self._updates: dict[tuple[str, str], list[Params]] = {}  # (channel, ts) -> chat.update params
        # Channels ("C..." public, "G..." private) exist once added; DMs ("D" + user ID) always do.
        self._channels: dict[str, dict[str, Any]] = {}  # id -> {id, name, is_private}
        self._members: dict[str, list[str]] = {}  # channel -> its people (the bot apart)
        self._user_groups: dict[str, list[str]] = {}  # user group ID (S…) -> its members
        self._bot_channels: set[str] = set()  # channels the bot is a member of
        self._ephemerals: list[dict[str, Any]] = []  # each with "channel" and "visible_to"
        self._views: dict[str, list[dict[str, Any]]] = {}  # user -> their modal stack, root first
        self._home_views: dict[str, dict[str, Any]] = {}  # user -> App Home view (views.publish)
        self._triggers: dict[str, tuple[str, float]] = {}  # trigger_id -> (user, issued at)
        self._response_urls: dict[str, dict[str, Any]] = {}  # name -> {user, channel, message_ts, issued_at}
        self._response_url_uses: dict[str, tuple[int, float]] = {}  # name -> (posts taken, first post at)
        self._used_triggers: set[str] = set()  # trigger IDs views.open / views.push exchanged
        self._users: dict[str, dict[str, Any]] = {}
        self._teams: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[Fault | None]] = {}  # None: answer this call normally
        self._targeted_faults: dict[str, list[Fault]] = {}  # faults for matching calls only
        self._targeted_delays: dict[str, list[Delay]] = {}  # delays for matching calls only
        self._delays: dict[str, deque[Delay]] = {}
        self._answers_pending: dict[str, int] = {}  # handled calls whose answer is not sent yet
        self._holds: set[str] = set()  # methods whose calls wait for release()
        self._held: dict[str, int] = {}  # calls waiting on a hold now
        self._view_counter = 0
        self._files: dict[str, dict[str, Any]] = {}  # file id -> {file, content, redirect_to}
        self._pending_uploads: dict[str, dict[str, Any]] = {}  # file id -> getUploadURLExternal params
        self._file_counter = 0
        self._subscribers: list[Subscriber] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the Slack emulator is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Slack's Web API base URL on the emulator (``SLACK_API_URL``)."""
        return f"{self.base_url}/api/"

    def _changed(self, change: Change) -> None:
        """Wake waiters and tell subscribers; the caller holds ``_cond``.

        Subscribers are called with the lock held, in the thread that made the change: they must be
        quick and must not call back into the emulator (a web page queues the change and returns).
        """
        self._cond.notify_all()
        for subscriber in list(self._subscribers):
            try:
                subscriber(change)
            except Exception:  # a broken subscriber must not break Slack's answer: drop it, say so
                log.exception("a subscriber of the Slack emulator failed; it is unsubscribed")
                self._subscribers.remove(subscriber)
