"""The pacer's decisions on an injected clock: no real time passes."""

from __future__ import annotations

import pytest

from bot.announcing.delivery.pacer import CATCH_UP, CHAT_GAP, WINDOW_MARGIN, Pacer
from bot.telegram.limits import GLOBAL_MESSAGES_PER_SECOND


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(pacer: Pacer, clock: Clock, sends: int, jitter: float = 0.0) -> list[float]:
    """Start ``sends`` sends as soon as the pacer allows, each woken ``jitter`` seconds late; their times."""
    times = []
    for _ in range(sends):
        clock.now = max(clock.now, pacer.slot_at()) + jitter
        pacer.take_slot()
        times.append(clock.now)
    return times


@pytest.mark.parametrize("rate", [1.0, 25.0, float(GLOBAL_MESSAGES_PER_SECOND), 100.0])
def test_the_rate_is_kept_and_any_window_of_a_second_holds_at_most_rate_sends(rate: float) -> None:
    clock = Clock()
    pacer = Pacer(rate, clock=clock)
    times = run(pacer, clock, int(rate * 10) + 1)
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert rate * (1 - WINDOW_MARGIN) - 1e-9 <= achieved <= rate + 1e-9
    capacity = max(1, int(rate))
    # Any capacity + 1 consecutive sends span more than a second (with the jitter margin): no 429.
    assert all(b - a >= capacity / rate + WINDOW_MARGIN - 1e-9 for a, b in zip(times, times[capacity:], strict=False))


def test_late_wake_ups_keep_the_schedule_but_a_pause_does_not_cause_a_burst() -> None:
    clock = Clock()
    pacer = Pacer(25.0, clock=clock)
    # A busy machine: every tenth wake-up comes 60 ms late (more than an interval); the next sends catch up.
    times = []
    for n in range(251):
        clock.now = max(clock.now, pacer.slot_at()) + (0.06 if n % 10 == 9 else 0.0)
        pacer.take_slot()
        times.append(clock.now)
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.9 * 25.0  # resetting at each late wake-up: 21.7
    assert all(b - a >= 1.0 + WINDOW_MARGIN - 1e-9 for a, b in zip(times, times[25:], strict=False))
    pacer = Pacer(10.0, clock=clock)
    run(pacer, clock, 5)
    clock.now += CATCH_UP + 5.0  # nothing to send for a while
    after = run(pacer, clock, 3)
    assert after[1] - after[0] == pytest.approx(0.1) and after[2] - after[1] == pytest.approx(0.1)


def test_a_hold_pauses_everything_and_release_ends_it() -> None:
    clock = Clock()
    pacer = Pacer(30.0, clock=clock)
    run(pacer, clock, 3)
    assert pacer.hold(5.0)
    assert not pacer.hold(1.0)  # a shorter pause does not shorten the current one
    assert pacer.slot_at() == pytest.approx(clock.now + 5.0)
    clock.now += 1.0
    pacer.release()
    assert pacer.slot_at() <= clock.now + 1 / 30


def test_one_message_per_chat_gap() -> None:
    clock = Clock()
    pacer = Pacer(100.0, clock=clock)
    assert pacer.chat_ready_at(7) <= clock.now
    pacer.chat_done(7)
    assert pacer.chat_ready_at(7) == pytest.approx(clock.now + CHAT_GAP)
    assert pacer.chat_ready_at(8) <= clock.now
    clock.now += CHAT_GAP
    assert pacer.chat_ready_at(7) <= clock.now
    assert pacer._chat_free == {}  # served chats are forgotten once their gap passed: memory stays flat


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0.0)
