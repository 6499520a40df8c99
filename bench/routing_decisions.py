"""Routing decisions timed in-process against a seeded database (bench.seed), as the app's routing
pass makes them: `python -m bench.routing_decisions DATABASE_URL --strategy least_busy`.

Run by the routing phase (bench.routing_scale) in the app's code copy, one process per strategy
and database; prints one JSON object. Why in-process: a routing pass runs in the scheduler's job
or after a hand-off's Slack posts, and what reaches Slack (the offer's DM) comes after the pass and
includes the post itself; no HTTP request or Slack call starts or ends exactly one decision. So the
pass is called as `OfferDesk.route` calls it (slack/offer_dms.py, minus the DMs it posts after):
the stored profiles read, then `SqlHelpdesk.route_waiting` with the support channel's members and
the admins, on the app's own `Database`, helpdesk and statements, the bot configuration read from
`bench/bench_routing.yaml` by the app's loader (only its strategy set per run).

Two measurements, in this order:
- **burst**: passes until one offers nothing (no available agent with room suits a ticket the pass
  read: the seeded tickets ask for languages and skills, core.eligibility). A pass reads the
  queue's head (`ROUTING_BATCH`), the agents' loads and the pointer in one transaction, and the
  next pages of the queue in more (while someone with room suits none of what it read, up to
  `ROUTING_SCAN_LIMIT` tickets); it decides in memory (core.routing_plan) and opens a transaction
  only for each offer: each offering transaction's time (from its start to its commit) is one
  *decision*; the read transactions store nothing and are not decisions.
- **one offer**: then, `singles` times, one available agent's oldest connected conversation is
  closed (with SQL: the bench's set-up, not timed) and one pass is run: the oldest ticket that
  agent suits is offered to them (a pass where none within the pass's reach suits them is not
  timed). `to_stored` runs from the pass's start (the trigger: an agent with room again) to the
  commit of the offer, so it includes reading the profiles, the queue's head (and any pages read
  before the ticket the agent suits) and the agents' loads: the routing target's figure.
  `decision` is the offering transaction alone, `pass` the whole pass.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import DateTime, bindparam, text

from bench.common import ADMIN, REPO, ROSTER, TEAM_ID
from bench.seed import DEFAULT_CAPACITY
from bench.statistics import percentile
from handoff_slack.config_file import load_bot_config
from handoff_slack.core.routing import Strategy
from handoff_slack.storage.agent_profiles import AgentProfiles
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import HelpdeskStore, SqlHelpdesk, SqlTransaction

CONFIG = REPO / "bench" / "bench_routing.yaml"


class TimedStore(HelpdeskStore):
    """The app's store, recording when each transaction started and committed (perf_counter), in
    order, and whether it stored an offer (a pass's transactions for tickets nobody eligible could
    take yet store none: routing's filters, with the seeded tickets' languages and skills)."""

    def __init__(self, helpdesk: SqlHelpdesk) -> None:
        super().__init__(helpdesk.db, helpdesk.deliveries, helpdesk.flood_limit, helpdesk.workspace_id)
        self.spans: list[tuple[float, float, bool]] = []

    @contextmanager
    def transaction(self, reserving: bool = False) -> Iterator[SqlTransaction]:
        started = time.perf_counter()
        with super().transaction(reserving) as tx:
            watched = _OfferWatch(tx)
            yield cast(SqlTransaction, watched)
        self.spans.append((started, time.perf_counter(), watched.offered))


class _OfferWatch:
    """A transaction as the helpdesk uses it, noting whether `offers.add` stored an offer."""

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx
        self.offered = False

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._tx, name)
        if name != "offers":
            return found
        add = found.add

        def noted_add(*args: Any, **kwargs: Any) -> Any:
            offer_id = add(*args, **kwargs)
            self.offered = self.offered or offer_id is not None
            return offer_id

        found.add = noted_add
        return found


def stats(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None, "spread": None}
    p50, p95, top = percentile(ms, 50), percentile(ms, 95), max(ms)
    return {
        "n": len(ms),
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "max_ms": round(top, 3),
        "spread": f"{p50:.1f} / {p95:.1f} / {top:.1f}",  # the table's cell
    }


def measure(url: str, strategy: Strategy, singles: int, agents: int, config: Path = CONFIG) -> dict[str, Any]:
    db = Database(url, pool_size=2)
    try:
        helpdesk = SqlHelpdesk(db, workspace_id=TEAM_ID)
        helpdesk.routing = replace(load_bot_config(str(config)).routing, strategy=strategy)
        store = TimedStore(helpdesk)
        helpdesk.storage = store
        profiles = AgentProfiles(db, TEAM_ID)
        members = frozenset(ROSTER[:agents]) | {ADMIN}  # what the agent directory answers (cached)
        gc.collect()
        gc.freeze()  # as the app does once serving (server.settle_garbage_collector)

        def one_pass() -> tuple[float, float, list[tuple[float, float]]]:
            """A pass as OfferDesk.route makes it: its start, its end, and its offering transactions."""
            store.spans.clear()
            started = time.perf_counter()
            done = helpdesk.route_waiting(members, profiles.profiles(), DEFAULT_CAPACITY)
            ended = time.perf_counter()
            offered = len(done.offered)
            # The reads of the queue's pages, then one transaction per offer: those that stored an
            # offer are the decisions (a filters' drop or a round's end would store none: asserted).
            assert not done.ended, f"rounds ended: {done.ended} (fallback_after_seconds too short?)"
            offering = [(start, end) for start, end, stored in store.spans[1:] if stored]
            assert len(offering) == offered, (offered, len(offering))
            return started, ended, offering

        burst_decisions: list[float] = []
        burst_passes: list[float] = []
        offers = 0
        while True:
            started, ended, offering = one_pass()
            if not offering:
                break
            offers += len(offering)
            burst_passes.append(ended - started)
            burst_decisions += [end - start for start, end in offering]

        if db.engine.dialect.name == "postgresql":
            # Autovacuum analyses a table after 50 + 10 % of it changed, within a minute: the burst's
            # offers are the first rows of ticket_offer, analysed (by the seed) while it was empty.
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE ticket_offer"))
        to_stored: list[float] = []  # from the pass's start to its offer committed
        single_passes: list[float] = []
        single_decisions: list[float] = []
        for agent in room_makers(db, singles):
            free_one_place(db, agent)
            started, ended, offering = one_pass()
            # Usually one: the agent with room again. With filters, a later ticket may suit someone
            # who had room but suited none before; the first offer is the one the trigger made.
            if not offering:
                continue  # nothing in the queue's head suits that agent: no decision to time
            decided, stored = offering[0]
            to_stored.append(stored - started)
            single_passes.append(ended - started)
            single_decisions.append(stored - decided)
        return {
            "strategy": str(strategy),
            "dialect": db.engine.dialect.name,
            "burst": {
                "offers": offers,
                "passes": len(burst_passes),
                "decision": stats(burst_decisions),
                "pass": stats(burst_passes),
            },
            "one_offer": {
                "to_stored": stats(to_stored),
                "decision": stats(single_decisions),
                "pass": stats(single_passes),
            },
        }
    finally:
        db.dispose()


def room_makers(db: Database, count: int) -> list[str]:
    """Available agents with connected conversations, in turn (repeated if fewer than `count`)."""
    with db.engine.connect() as connection:
        found = [
            str(user)
            for (user,) in connection.execute(
                text(
                    "SELECT p.user_id FROM agent_profile p WHERE p.availability = 'available' AND EXISTS "
                    "(SELECT 1 FROM ticket t WHERE t.agent_user_id = p.user_id AND t.state = 'connected') "
                    "ORDER BY p.user_id"
                )
            )
        ]
    assert found, "no available agent has a connected conversation"
    return [found[k % len(found)] for k in range(count)]


def free_one_place(db: Database, agent: str) -> None:
    """The agent's oldest connected conversation ends: they have room for one more."""
    with db.engine.begin() as connection:
        closed = connection.execute(
            text(
                "UPDATE ticket SET state = 'closed', closed_at = :now WHERE id = (SELECT min(id) FROM ticket "
                "WHERE agent_user_id = :agent AND state = 'connected')"
            ).bindparams(bindparam("now", type_=DateTime(timezone=True))),
            {"agent": agent, "now": datetime.now(UTC)},
        ).rowcount
    assert closed == 1, f"{agent} had no connected conversation left"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--strategy", choices=[Strategy.LEAST_BUSY.value, Strategy.ROUND_ROBIN.value], required=True)
    parser.add_argument("--singles", type=int, default=20, help="one-offer passes timed after the burst")
    parser.add_argument("--agents", type=int, default=len(ROSTER), help="the support channel's members (as seeded)")
    args = parser.parse_args(argv[1:])
    print(json.dumps(measure(args.database_url, Strategy(args.strategy), args.singles, args.agents)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
