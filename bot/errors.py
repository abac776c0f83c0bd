"""What processing code raises to tell the queue how a delivery ended.

They live apart from the queue so that the GitHub client and the rules can raise them
without importing the queue.
"""

from __future__ import annotations

__all__ = ["IncompleteData", "PermanentFailure", "RetryLater"]


class RetryLater(Exception):
    """The work should run again later (rate limit, 5xx, a head that moved...)."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentFailure(Exception):
    """Retrying cannot help (a 4xx that is not a rate limit, a bad payload)."""


class IncompleteData(Exception):
    """GitHub could not give the complete change; rules fail closed on it (SPEC §5)."""
