"""Faults on demand: error answers, slow answers, held calls, per method (and per matching call).

Faults are scripted per method and consumed one per call, in order: ``fail`` (an error answer),
``succeed`` (a normal answer, to space faults out; ``fail(..., after_handling=True)`` lets the call
take effect and then answers the failure), ``delay`` (a slow answer; with ``after_handling=True``
the call takes effect at once and only its answer is late, like a response lost on its way back).
``fail_when`` / ``delay_when`` apply only to calls whose parameters match a predicate; ``fail_in`` /
``delay_in`` only to calls about one channel. ``fail(..., status=0)`` (``DROP``) closes the
connection without any answer. ``hold`` keeps calls of a method waiting, unhandled, until ``release``
(a server stuck for exactly as long as a test needs).

``count=None`` arms a fault or delay that is never used up: every matching call takes it until
``heal`` (``clear_delays``) ends it. ``armed()`` describes what is armed (the sandbox page's fault
panel shows it); arming, healing and every fault or delay a call takes are told to subscribers as a
``fault`` change.

Methods are Web API method names (``"chat.postMessage"``), or ``FILE_UPLOAD`` / ``FILE_DOWNLOAD``
for the file transfers, or ``"response_url:<name>"`` for a response_url.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from handoff_slack.sandbox.slack_shapes import Params
from handoff_slack.sandbox.state import Change, EmulatorState

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
    channel: str | None = None  # the channel ``when`` stands for (fail_in), to describe it
    forever: bool = False  # never used up (count=None): every matching call takes it until healed

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
    channel: str | None = None  # the channel ``when`` stands for (delay_in), to describe it
    forever: bool = False  # never used up (count=None): every matching call takes it until healed


_T = TypeVar("_T", Fault, Delay)
_Q = TypeVar("_Q", Fault | None, Delay)


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
        count: int | None = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """The next ``count`` calls of ``method`` fail with ``status`` (or ok:false ``error`` if status 200).

        429 answers carry ``Retry-After: retry_after`` when given; other statuses answer Slack's error
        envelope; ``DROP`` closes the connection unanswered. With ``after_handling=True`` (Web API
        methods) the call is handled first, as Slack would, and only its answer is the failure: the
        client is told it failed although it took effect. ``count=None``: every call until ``heal``.
        """
        if status == 200 and error is None:
            raise ValueError("fail(status=200) needs an error")
        fault = Fault(status, retry_after, error, after_handling, forever=count is None)
        with self._cond:
            self._faults.setdefault(method, deque()).extend(_copies(fault, count))
            self._changed(Change("fault", detail={"method": method}))

    def fail_when(
        self,
        method: str,
        when: Callable[[Params], bool],
        status: int = 500,
        count: int | None = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``fail``, for the next ``count`` calls of ``method`` whose parameters match ``when`` only
        (e.g. one kind of message among many posts); other calls are answered as usual."""
        fault = Fault(status, retry_after, error, after_handling, when, forever=count is None)
        self._arm_targeted_fault(method, fault, count)

    def fail_in(
        self,
        channel: str,
        method: str,
        status: int = 500,
        count: int | None = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``fail``, for the next ``count`` calls of ``method`` about ``channel`` only."""
        fault = Fault(status, retry_after, error, after_handling, in_channel(channel), channel, count is None)
        self._arm_targeted_fault(method, fault, count)

    def _arm_targeted_fault(self, method: str, fault: Fault, count: int | None) -> None:
        if fault.status == 200 and fault.error is None:
            raise ValueError("fail(status=200) needs an error")
        with self._cond:
            self._targeted_faults.setdefault(method, []).extend(_copies(fault, count))
            self._changed(Change("fault", detail={"method": method}))

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
        self._drop(method, self._faults, self._targeted_faults)

    def delay(self, method: str, seconds: float, count: int | None = 1, *, after_handling: bool = False) -> None:
        """The next ``count`` calls of ``method`` are answered only after ``seconds``.

        By default the call is handled after the wait (a slow server). With ``after_handling=True``
        it is handled (and recorded) at once and only the answer waits: a client that gives up or dies
        meanwhile never learns that its message was posted. ``count=None``: every call until
        ``clear_delays``.
        """
        delay = Delay(seconds, after_handling, forever=count is None)
        with self._cond:
            self._delays.setdefault(method, deque()).extend(_copies(delay, count))
            self._changed(Change("fault", detail={"method": method}))

    def delay_when(
        self,
        method: str,
        when: Callable[[Params], bool],
        seconds: float,
        count: int | None = 1,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``delay``, for the next ``count`` calls of ``method`` whose parameters match ``when`` only."""
        self._arm_targeted_delay(method, Delay(seconds, after_handling, when, forever=count is None), count)

    def delay_in(
        self, channel: str, method: str, seconds: float, count: int | None = 1, *, after_handling: bool = False
    ) -> None:
        """Like ``delay``, for the next ``count`` calls of ``method`` about ``channel`` only."""
        delay = Delay(seconds, after_handling, in_channel(channel), channel, count is None)
        self._arm_targeted_delay(method, delay, count)

    def _arm_targeted_delay(self, method: str, delay: Delay, count: int | None) -> None:
        with self._cond:
            self._targeted_delays.setdefault(method, []).extend(_copies(delay, count))
            self._changed(Change("fault", detail={"method": method}))

    def delays_left(self, method: str) -> int:
        """How many of ``method``'s delays no call has taken yet (0: the delayed call is in flight or done)."""
        with self._cond:
            return len(self._delays.get(method, ()))

    def clear_delays(self, method: str | None = None) -> None:
        """Drop the delays still queued for ``method`` (for every method if None); calls in flight keep theirs."""
        self._drop(method, self._delays, self._targeted_delays)

    def _drop(self, method: str | None, *queues: dict[str, Any]) -> None:
        """Forget what is queued for ``method`` (for every method if None) in each of ``queues``."""
        with self._cond:
            for queue in queues:
                if method is None:
                    queue.clear()
                else:
                    queue.pop(method, None)
            self._changed(Change("fault", detail={"method": method or ""}))

    def armed(self) -> list[dict[str, Any]]:
        """What is armed, by method, in the order calls take it: one entry per run of like faults or delays.

        Each: ``method``, ``channel`` (None: any call of the method; "?": a ``*_when`` predicate),
        ``kind`` (``error``, ``drop`` or ``slow``), ``status``, ``retry_after``, ``error``, ``seconds``
        and ``left`` (None: until healed). ``succeed`` spacers are not shown.
        """
        found: list[dict[str, Any]] = []
        with self._cond:
            queues: list[tuple[str, list[Fault | Delay | None]]] = []
            for method, faults in self._faults.items():
                queues.append((method, [*self._targeted_faults.get(method, []), *faults]))
            for method, targeted in self._targeted_faults.items():
                if method not in self._faults:
                    queues.append((method, list(targeted)))
            for method, delays in self._delays.items():
                queues.append((method, [*self._targeted_delays.get(method, []), *delays]))
            for method, targeted_delays in self._targeted_delays.items():
                if method not in self._delays:
                    queues.append((method, list(targeted_delays)))
            queues.sort(key=lambda queue: queue[0])  # by method; each in the order calls take it
            for method, items in queues:
                for item in items:
                    if item is None:
                        continue
                    entry = _described(method, item)
                    last = found[-1] if found else None
                    countable = last is not None and None not in (last["left"], entry["left"])
                    if countable and last is not None and {**last, "left": 0} == {**entry, "left": 0}:
                        last["left"] += 1
                    else:
                        found.append(entry)
        return found

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
        delay = _take_targeted(self._targeted_delays, method, params) or _take_queued(self._delays.get(method))
        fault = _take_targeted(self._targeted_faults, method, params) or _take_queued(self._faults.get(method))
        if delay is not None or fault is not None:
            self._changed(Change("fault", detail={"method": method}))
        return delay, fault


def _copies(item: _T, count: int | None) -> list[_T]:
    """``count`` of ``item`` to queue; one (never used up) for ``count=None``."""
    if count is not None and count < 1:
        raise ValueError("count must be at least 1 (or None: until healed)")
    return [item] if count is None else [replace(item) for _ in range(count)]


def _take_targeted(queued: dict[str, list[_T]], method: str, params: Params) -> _T | None:
    """The first fault or delay queued by ``fail_when`` / ``delay_when`` for calls like this one, taken."""
    targeted = queued.get(method, [])
    for index, item in enumerate(targeted):
        if item.when is not None and item.when(params):
            if not item.forever:
                del targeted[index]
            return item
    return None


def _take_queued(queued: deque[_Q] | None) -> _Q | None:
    """The next fault or delay queued for every call of a method, taken (left in place if never used up)."""
    if not queued:
        return None
    item = queued[0]
    if item is None or not item.forever:
        queued.popleft()
    return item


def _described(method: str, item: Fault | Delay) -> dict[str, Any]:
    channel = item.channel if item.channel is not None else (None if item.when is None else "?")
    entry: dict[str, Any] = {"method": method, "channel": channel, "left": None if item.forever else 1}
    if isinstance(item, Delay):
        return {**entry, "kind": "slow", "seconds": item.seconds, "status": None, "retry_after": None, "error": None}
    kind = "drop" if item.status == DROP else "error"
    error = item.error_code if item.status != DROP else None
    return {
        **entry,
        "kind": kind,
        "seconds": None,
        "status": item.status,
        "retry_after": item.retry_after,
        "error": error,
    }
