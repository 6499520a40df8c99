"""handoff-slack: a Slack helpdesk bot that hands conversations from the bot to a human and back."""

__version__ = "0.1.0"
