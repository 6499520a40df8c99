"""The domain: decisions and state changes, as plain values; no Slack, no HTTP, no SQL.

The rule: nothing here imports SQLAlchemy, SQLModel or handoff_slack.storage. What the core needs
from storage it declares as small interfaces (typing.Protocol: core.helpdesk_storage for the
helpdesk); handoff_slack.storage implements them and is handed in (storage.helpdesk_store.
SqlHelpdesk, built in app.py). Storage may import the core's values (states, notices), never
the other way round. tests/core/test_layering.py checks the rule.
"""
