"""The degraded/outage state machine on its own, with clocks a test moves (no real time)."""

from __future__ import annotations

from bot.announcing.delivery.outage import OutageTracker
from bot.announcing.delivery.pacer import Pacer


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_transient_error_pauses_and_failed_probes_pause_longer_up_to_the_cap() -> None:
    monotonic, wall = Clock(100.0), Clock(1_000_000.0)
    pacer = Pacer(30.0, clock=monotonic)
    outage = OutageTracker(pacer, clock=wall, horizon=60.0, probe_base=1.0, probe_cap=4.0)
    assert not outage.degraded and not outage.is_probe(100.0)

    outage.suspect()
    assert outage.degraded and not outage.in_outage
    assert pacer.held_until == 101.0
    assert not outage.is_probe(99.0) and outage.is_probe(100.0)  # only sends started since count as probes

    delays = []
    for _ in range(4):
        outage.probe_failed()
        delays.append(pacer.held_until - monotonic.now)
    assert delays == [2.0, 4.0, 4.0, 4.0]


def test_an_outage_is_confirmed_given_up_after_the_horizon_and_ends_with_a_probe_that_gets_through() -> None:
    monotonic, wall = Clock(100.0), Clock(1_000_000.0)
    pacer = Pacer(30.0, clock=monotonic)
    outage = OutageTracker(pacer, clock=wall, horizon=60.0, probe_base=1.0, probe_cap=4.0)
    outage.suspect()
    outage.confirm("Bad Gateway")
    assert outage.in_outage and not outage.too_long()
    wall.now += 59.0
    outage.confirm("Bad Gateway")  # confirming again does not restart the horizon
    assert not outage.too_long()
    wall.now += 1.0
    assert outage.too_long()

    outage.probe_failed()
    outage.healthy()
    assert not outage.degraded and not outage.in_outage and not outage.too_long()
    assert pacer.held_until <= monotonic.now  # sending resumes at once
    outage.suspect()  # the next trouble starts from the base delay again
    assert pacer.held_until == monotonic.now + 1.0
