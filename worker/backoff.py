"""Bounded, growing waits between reconnect attempts.

Every reconnect loop in the worker draws its delays from a :class:`Backoff`: the delay
doubles from ``first`` up to ``maximum`` (with a little jitter so that several workers do
not hammer a restarting server in step), and after ``attempts`` consecutive failures the
caller gives up with its own exception type instead of looping forever.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    attempts: int = 30
    first: float = 0.2
    maximum: float = 5.0

    def delay(self, failure: int) -> float:
        """The wait after the ``failure``-th consecutive failure (1-based)."""
        base = min(self.maximum, self.first * (2 ** max(failure - 1, 0)))
        return base * random.uniform(0.8, 1.0)  # noqa: S311 - jitter, not security

    def exhausted(self, failure: int) -> bool:
        return failure >= self.attempts
