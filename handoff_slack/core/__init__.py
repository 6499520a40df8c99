"""The domain core: conversations, tickets, the queue and relay decisions. No Slack, no HTTP."""
