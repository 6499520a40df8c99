"""The conversations a load run is spread over: for handoff-slack, customers escalated and claimed
through its HTTP edge, as Slack would drive it; for the bare Bolt apps, the same shape of traffic."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bench.common import AGENTS, SUPPORT_CHANNEL
from bench.load_run import REFUSED, Load
from bench.servers import AppProcess, FakeSlackProcess
from bench.slack_edge import SlackEdge

TICKET_POST = re.compile(r"Support request #(\d+) from Customer (U[A-Z0-9]+)")


def until_accepted(send: Callable[[], tuple[int, float, float]], tries: int = 8) -> int:
    """A set-up request, sent again while the app refuses it for a full backlog (503: nothing was
    stored). A new request each time: fine for set-up, where only the outcome counts."""
    for attempt in range(tries):
        status, _, _ = send()
        if status != REFUSED or attempt == tries - 1:
            return status
        time.sleep(min(0.25 * 2**attempt, 4))
    raise AssertionError("unreachable")


def connect_conversations(app: AppProcess, fake: FakeSlackProcess, count: int, prefix: str) -> Load:
    """`count` customers escalate by typing and are claimed by agents, as Slack would drive it."""
    customers = [f"UB{prefix}{k:05d}" for k in range(count)]
    since = fake.mark()
    edges = [SlackEdge(app.events_url) for _ in range(8)]

    def escalate(k: int) -> None:
        status = until_accepted(lambda: edges[k % len(edges)].dm(customers[k], "I need a human please"))
        assert status == 200, f"escalation answered {status}"

    with ThreadPoolExecutor(len(edges)) as pool:
        for batch in range(0, count, len(edges)):
            list(pool.map(escalate, range(batch, min(count, batch + len(edges)))))
    tickets: dict[str, tuple[int, str]] = {}
    deadline = time.monotonic() + 60 + count / 10
    while len(tickets) < count:
        for entry in fake.fetch():
            if entry[1] == "chat.postMessage" and entry[2] == SUPPORT_CHANNEL and not entry[3]:
                match = TICKET_POST.search(entry[5])
                if match:
                    tickets[match.group(2)] = (int(match.group(1)), entry[4])
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(tickets)} of {count} ticket messages were posted")
        time.sleep(0.05)

    def claim(k: int) -> None:
        ticket_id, ts = tickets[customers[k]]
        agent = AGENTS[k % len(AGENTS)]
        status = until_accepted(
            lambda: edges[k % len(edges)].claim(agent, ticket_id, ts, fake.response_url(f"setup-claim-{k}"))
        )
        assert status == 200, f"claim answered {status}"

    with ThreadPoolExecutor(len(edges)) as pool:
        for batch in range(0, count, len(edges)):
            list(pool.map(claim, range(batch, min(count, batch + len(edges)))))
    told = set()
    claimed = set()
    deadline = time.monotonic() + 60 + count / 10
    while len(told) < count or len(claimed) < count:
        fake.fetch()
        for entry in fake.entries[since:]:
            if entry[1] == "chat.postMessage" and "You are now talking with" in entry[5]:
                told.add(entry[2])
            elif entry[1] == "chat.update" and "Claimed by" in entry[5]:
                claimed.add(entry[4])
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(told)} of {count} customers were connected")
        time.sleep(0.05)
    for edge in edges:
        edge.close()
    targets = []
    for k, customer in enumerate(customers):
        _, ts = tickets[customer]
        targets.append({"kind": "dm", "user": customer, "expect_channel": SUPPORT_CHANNEL, "expect_thread": ts})
        targets.append(
            {
                "kind": "reply",
                "user": AGENTS[k % len(AGENTS)],
                "thread_ts": ts,
                "expect_channel": f"D{customer}",
                "expect_thread": None,
            }
        )
    return Load(targets)


def baseline_load(count: int) -> Load:
    """The same shape of traffic for the bare Bolt app, which posts each message back where it came from."""
    targets = []
    for k in range(count):
        customer = f"UBBASE{k:05d}"
        thread = f"1700000000.{k:06d}"
        targets.append({"kind": "dm", "user": customer, "expect_channel": f"D{customer}", "expect_thread": None})
        targets.append(
            {
                "kind": "reply",
                "user": AGENTS[k % len(AGENTS)],
                "thread_ts": thread,
                "expect_channel": SUPPORT_CHANNEL,
                "expect_thread": thread,
            }
        )
    return Load(targets)
