"""Errors the core reports to the edge, whatever stores its data."""

from __future__ import annotations


class StorageUnavailable(RuntimeError):
    """The database did not answer (unreachable, connection lost, timed out, locked): nothing was
    changed, and the same step may be tried again. The message names no statement or value."""
