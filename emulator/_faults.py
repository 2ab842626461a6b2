"""Fault injection: the failures a test asks for, counted ones matched by chat and method, and seeded chaos."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ._core import SEND_METHODS
from ._models import (
    ERR_BLOCKED,
    ERR_CHAT_NOT_FOUND,
    ERR_DEACTIVATED,
    ERR_INTERNAL,
    ERR_TOO_MANY,
    FAULT_KINDS,
    ApiError,
    EmulatorStats,
    Fault,
)
from ._params import API_METHODS

__all__ = ["FaultInjector", "fault_error"]

logger = logging.getLogger(__name__)

# Methods a fault without an explicit `method` never hits, so polling keeps working.
_SERVICE_METHODS: Final = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo"})


@dataclass
class _RandomFaults:
    """Settings of chaos mode."""

    probability: float
    kinds: tuple[str, ...]
    methods: frozenset[str]
    retry_after: int
    hold: float


class FaultInjector:
    """The faults waiting for a call to hit, and chaos mode with its own RNG seeded with the emulator's seed."""

    def __init__(self, seed: int) -> None:
        self._faults: list[Fault] = []
        self._random: _RandomFaults | None = None
        self._rng = random.Random(seed)

    def add(
        self, *, chat_id: int | None, method: str | None, kind: str, count: int, retry_after: int, hold: float
    ) -> Fault:
        """Queue a fault for the next ``count`` matching calls; refuse an unknown kind or method."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if method is not None and method.lower() not in API_METHODS:
            raise ValueError(f"unknown Bot API method {method!r}")
        fault = Fault(kind=kind, chat_id=chat_id, method=method, count=count, retry_after=retry_after, hold=hold)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove all pending faults and switch chaos mode off."""
        self._faults.clear()
        self._random = None

    @property
    def pending(self) -> list[Fault]:
        """Return the faults that did not fire yet."""
        return [f for f in self._faults if f.count > 0]

    def set_random(
        self,
        probability: float,
        kinds: Iterable[str],
        *,
        methods: Iterable[str] | None,
        retry_after: int,
        hold: float,
    ) -> None:
        """Switch chaos mode on for ``methods`` (default: sending methods), or off with probability 0."""
        chosen = tuple(kinds)
        unknown = [k for k in chosen if k not in FAULT_KINDS]
        if unknown or not chosen:
            raise ValueError(f"bad fault kinds {chosen!r}; expected some of {sorted(FAULT_KINDS)}")
        if probability <= 0:
            self._random = None
            return
        names = frozenset(API_METHODS[m.lower()][0] for m in methods) if methods is not None else SEND_METHODS
        self._random = _RandomFaults(probability, chosen, names, retry_after, hold)

    def take(self, method: str, chat_id: int | None, stats: EmulatorStats) -> Fault | None:
        """Return (and consume) the fault that applies to this call, if any, counting it in ``stats``."""
        exempt = method in _SERVICE_METHODS
        for fault in self._faults:
            if fault.matches(method, chat_id, exempt):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                stats.faults_fired[fault.kind] += 1
                return fault
        chaos = self._random
        if chaos is not None and method in chaos.methods and self._rng.random() < chaos.probability:
            kind = self._rng.choice(chaos.kinds)
            stats.faults_fired[kind] += 1
            return Fault(kind=kind, chat_id=chat_id, method=method, retry_after=chaos.retry_after, hold=chaos.hold)
        return None


def fault_error(fault: Fault) -> ApiError:
    """Return the error answer of a fault."""
    if fault.kind == "429":
        retry_after = max(1, fault.retry_after)
        return ApiError(429, ERR_TOO_MANY.format(retry_after), retry_after=retry_after)
    if fault.kind == "403":
        return ApiError(403, ERR_BLOCKED)
    if fault.kind == "403_deactivated":
        return ApiError(403, ERR_DEACTIVATED)
    if fault.kind == "400_chat_not_found":
        return ApiError(400, ERR_CHAT_NOT_FOUND)
    if fault.kind == "502":
        return ApiError(502, "Bad Gateway")
    return ApiError(500, ERR_INTERNAL)
