"""Action IDs of every interactive element, shared by the builders and the listeners."""

TALK_TO_AGENT = "handoff.talk_to_agent"
CANCEL_WAITING = "handoff.cancel_waiting"
CLAIM_TICKET = "handoff.claim_ticket"
CLOSE_TICKET = "handoff.close_ticket"
