"""Logging for `python main.py`: one line per record on stderr, no secrets and no message bodies.

Nothing here should be needed for that: our own log lines name messages and tickets by ID, and
the libraries keep bodies to DEBUG. This is what was checked (slack_bolt 1.30, slack_sdk 3.48,
SQLAlchemy 2) and what is done about the exceptions to that rule:

- slack_sdk's WebClient logs every call's parameters (message texts) at DEBUG only, and never
  the Authorization header. Nothing to do: DEBUG is documented to show bodies.
- Bolt logs a request whose signature is invalid *with its body* at INFO. The request guard
  refuses those before Bolt sees them; `quiet_libraries` drops such records all the same.
- Bolt's "Unhandled request" WARNING shows only the payload's type and IDs.
- A SQLAlchemy error names the statement's parameters (message texts among them), and Bolt logs
  a failing listener's error at ERROR. The formatter hides those parameters.
- Every formatted line has the configured secrets (tokens, signing secret, database password)
  replaced, in case a library ever prints one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from sqlalchemy.engine import make_url

from handoff_slack.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
SQL_PARAMETERS = re.compile(r"^\[parameters: .*$", re.MULTILINE)

# Loggers that say too much at INFO: one line per migration step, two per scheduler run.
CHATTY_LOGGERS = ("alembic", "apscheduler")
# Bolt's logger for signature failures; its INFO record carries the refused request's body.
BOLT_SIGNATURE_LOGGER = "slack_bolt.RequestVerification"


class RedactingFormatter(logging.Formatter):
    """Formats like logging.Formatter, then blanks out secrets and SQL parameters."""

    def __init__(self, secrets: Iterable[str | None], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted({secret for secret in secrets if secret and len(secret) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return SQL_PARAMETERS.sub("[parameters: hidden]", text)


class _BelowWarningDropped(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_DROP_BELOW_WARNING = _BelowWarningDropped()


def secrets_of(settings: Settings) -> list[str]:
    """What must never be printed: the tokens, the signing secret, the database password."""
    password = make_url(settings.database_url).password
    candidates = (settings.bot_token, settings.signing_secret, settings.app_token, password)
    return [str(secret) for secret in candidates if secret]


def build_handler(secrets: Iterable[str | None], stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    return handler


def quiet_libraries() -> None:
    """Library loggers' levels and filters (idempotent; safe before or after the Bolt app exists)."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # A filter rather than a level: Bolt copies its base logger's level onto this logger.
    signature_logger = logging.getLogger(BOLT_SIGNATURE_LOGGER)
    if _DROP_BELOW_WARNING not in signature_logger.filters:
        signature_logger.addFilter(_DROP_BELOW_WARNING)


def configure_logging(level: str, secrets: Iterable[str | None]) -> None:
    """The process's logging, once at start-up: `level` for everything, stderr, secrets blanked."""
    logging.basicConfig(level=level, handlers=[build_handler(secrets)], force=True)
    quiet_libraries()
