"""Faults on demand: error answers, slow answers, held calls, per method (and per matching call).

Faults are scripted per method and consumed one per call, in order: ``fail`` (an error answer),
``succeed`` (a normal answer, to space faults out; ``fail(..., after_handling=True)`` lets the call
take effect and then answers the failure), ``delay`` (a slow answer; with ``after_handling=True``
the call takes effect at once and only its answer is late, like a response lost on its way back).
``fail_when`` / ``delay_when`` apply only to calls whose parameters match a predicate; ``fail_in`` /
``delay_in`` only to calls about one channel. ``fail(..., status=0)`` (``DROP``) closes the
connection without any answer. ``hold`` keeps calls of a method waiting, unhandled, until ``release``
(a server stuck for exactly as long as a test needs).

Methods are Web API method names (``"chat.postMessage"``), or ``FILE_UPLOAD`` / ``FILE_DOWNLOAD``
for the file transfers, or ``"response_url:<name>"`` for a response_url.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from handoff_slack.sandbox.slack_shapes import Params
from handoff_slack.sandbox.state import EmulatorState

DROP = 0  # the fault status that closes the connection without an answer

# Hosting of files: upload URLs handed out by files.getUploadURLExternal, and private files
# (``url_private_download``) that answer only the bot token. Both are scripted like API methods
# under these names (``emulator.fail(FILE_DOWNLOAD, 500)``) and recorded as calls.
FILE_UPLOAD = "file_upload"
FILE_DOWNLOAD = "file_download"


@dataclass
class Fault:
    status: int  # an HTTP status, or DROP
    retry_after: int | None
    error: str | None
    after_handling: bool = False  # the call takes effect; only its answer is the fault
    when: Callable[[Params], bool] | None = None  # only calls whose parameters match (see fail_when)

    @property
    def error_code(self) -> str:
        if self.error:
            return self.error
        return "ratelimited" if self.status == 429 else "internal_error" if self.status >= 500 else "bad_request"


@dataclass
class Delay:
    seconds: float
    after_handling: bool  # the call takes effect at once; only the answer is late
    when: Callable[[Params], bool] | None = None  # only calls whose parameters match (see delay_when)


_T = TypeVar("_T", Fault, Delay)


def in_channel(channel: str) -> Callable[[Params], bool]:
    """A ``when`` predicate: calls about ``channel`` (its ``channel`` or ``channel_id`` parameter)."""

    def matches(params: Params) -> bool:
        return channel in (params.get("channel"), params.get("channel_id"))

    return matches


class Faults(EmulatorState):
    def fail(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """The next ``count`` calls of ``method`` fail with ``status`` (or ok:false ``error`` if status 200).

        ``status=DROP`` closes the connection unanswered. With ``after_handling=True`` (Web API
        methods) the call is handled first, as Slack would, and only its answer is the failure: the
        client is told it failed although it took effect.
        """
        if status == 200 and error is None:
            raise ValueError("fail(status=200) needs an error")
        with self._cond:
            self._faults.setdefault(method, deque()).extend(
                Fault(status, retry_after, error, after_handling) for _ in range(count)
            )

    def fail_when(
        self,
        method: str,
        when: Callable[[Params], bool],
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``fail``, for the next ``count`` calls of ``method`` whose parameters match ``when`` only
        (e.g. one kind of message among many posts); other calls are answered as usual."""
        if status == 200 and error is None:
            raise ValueError("fail_when(status=200) needs an error")
        with self._cond:
            self._targeted_faults.setdefault(method, []).extend(
                Fault(status, retry_after, error, after_handling, when) for _ in range(count)
            )

    def fail_in(
        self,
        channel: str,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``fail``, for the next ``count`` calls of ``method`` about ``channel`` only."""
        self.fail_when(method, in_channel(channel), status, count, retry_after, error, after_handling=after_handling)

    def targeted_faults_left(self, method: str) -> int:
        with self._cond:
            return len(self._targeted_faults.get(method, ()))

    def succeed(self, method: str, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are answered normally: spaces out faults queued after them.

        ``emulator.succeed(m, 3); emulator.fail(m, 500)`` lets three calls through, then fails the fourth.
        """
        with self._cond:
            self._faults.setdefault(method, deque()).extend([None] * count)

    def faults_left(self, method: str) -> int:
        """How many of ``method``'s queued answers (faults and ``succeed`` spacers) no call has taken yet."""
        with self._cond:
            return len(self._faults.get(method, ()))

    def heal(self, method: str | None = None) -> None:
        """End an outage: drop the faults still queued for ``method`` (for every method if None)."""
        with self._cond:
            if method is None:
                self._faults.clear()
                self._targeted_faults.clear()
            else:
                self._faults.pop(method, None)
                self._targeted_faults.pop(method, None)

    def delay(self, method: str, seconds: float, count: int = 1, *, after_handling: bool = False) -> None:
        """The next ``count`` calls of ``method`` are answered only after ``seconds``.

        By default the call is handled after the wait (a slow server). With ``after_handling=True``
        it is handled (and recorded) at once and only the answer waits: a client that gives up or dies
        meanwhile never learns that its message was posted.
        """
        with self._cond:
            self._delays.setdefault(method, deque()).extend(Delay(seconds, after_handling) for _ in range(count))

    def delay_when(
        self,
        method: str,
        when: Callable[[Params], bool],
        seconds: float,
        count: int = 1,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``delay``, for the next ``count`` calls of ``method`` whose parameters match ``when`` only."""
        with self._cond:
            self._targeted_delays.setdefault(method, []).extend(
                Delay(seconds, after_handling, when) for _ in range(count)
            )

    def delay_in(
        self, channel: str, method: str, seconds: float, count: int = 1, *, after_handling: bool = False
    ) -> None:
        """Like ``delay``, for the next ``count`` calls of ``method`` about ``channel`` only."""
        self.delay_when(method, in_channel(channel), seconds, count, after_handling=after_handling)

    def delays_left(self, method: str) -> int:
        """How many of ``method``'s delays no call has taken yet (0: the delayed call is in flight or done)."""
        with self._cond:
            return len(self._delays.get(method, ()))

    def clear_delays(self, method: str | None = None) -> None:
        """Drop the delays still queued for ``method`` (for every method if None); calls in flight keep theirs."""
        with self._cond:
            if method is None:
                self._delays.clear()
                self._targeted_delays.clear()
            else:
                self._delays.pop(method, None)
                self._targeted_delays.pop(method, None)

    def hold(self, method: str) -> None:
        """Calls of ``method`` from now on wait, not handled and not recorded yet, until ``release``."""
        with self._cond:
            self._holds.add(method)

    def release(self, method: str | None = None) -> None:
        """End the hold on ``method`` (on every method if None): the waiting calls are handled now."""
        with self._cond:
            if method is None:
                self._holds.clear()
            else:
                self._holds.discard(method)
            self._cond.notify_all()

    def held(self, method: str) -> int:
        """Calls of ``method`` waiting on a hold right now."""
        with self._cond:
            return self._held.get(method, 0)

    def answers_pending(self, method: str) -> int:
        """Calls of ``method`` that were handled but not answered yet (see ``delay(after_handling=True)``)."""
        with self._cond:
            return self._answers_pending.get(method, 0)

    # ----------------------------------------------------------------- used by the HTTP edge
    def _wait_while_held(self, method: str) -> None:
        """Block a call of ``method`` while it is held; the caller holds ``_cond``."""
        if method not in self._holds:
            return
        self._held[method] = self._held.get(method, 0) + 1
        self._cond.notify_all()
        while method in self._holds:
            self._cond.wait()
        self._held[method] -= 1

    def _take_delay_and_fault(self, method: str, params: Params) -> tuple[Delay | None, Fault | None]:
        """The delay and the fault scripted for this call, taken; the caller holds ``_cond``."""
        delays, faults = self._delays.get(method), self._faults.get(method)
        delay = _take_targeted(self._targeted_delays, method, params) or (delays.popleft() if delays else None)
        fault = _take_targeted(self._targeted_faults, method, params) or (faults.popleft() if faults else None)
        return delay, fault


def _take_targeted(queued: dict[str, list[_T]], method: str, params: Params) -> _T | None:
    """The first fault or delay queued by ``fail_when`` / ``delay_when`` for calls like this one, taken."""
    targeted = queued.get(method, [])
    for index, item in enumerate(targeted):
        if item.when is not None and item.when(params):
            del targeted[index]
            return item
    return None
