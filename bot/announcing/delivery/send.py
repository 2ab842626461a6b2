"""One copy of an announcement to one reader: the request, and what its answer means for the delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.announcing.delivery.pacer import Pacer
from bot.announcing.delivery.settings import CHAT_NOT_FOUND, ERROR_MAX, Clock, MarkupFor, NeutralFor
from bot.storage import Announcement, Delivery, DeliveryState, Outcome
from bot.telegram.limits import retry_after_seconds

__all__ = ["CopyRequests", "Sender", "Transient"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Transient:
    """A send failed in a way that says nothing about the reader: a network error, a timeout or a 5xx."""

    error: str


class CopyRequests:
    """The ``copyMessage`` parameters of one announcement per language, built once: a send adds the chat."""

    def __init__(
        self,
        announcement: Announcement,
        markup_for: MarkupFor,
        *,
        default_language: str,
        paid: bool,
        neutral_for: NeutralFor | None = None,
    ):
        self._announcement = announcement
        self._markup_for = markup_for
        self._default_language = default_language
        self._paid = paid
        self._neutral_for = neutral_for
        self._by_language: dict[str, dict[str, Any] | None] = {}
        self._neutral: dict[str, dict[str, Any] | None] = {}

    def neutral(self, language: str) -> dict[str, Any] | None:
        """The ``sendMessage`` parameters of the neutral message for a reader in discreet mode (None: the bot
        has no discreet mode, or the announcement nothing to copy: the copy path then says so)."""
        if self._neutral_for is None or self.for_language(language) is None:
            return None
        if language not in self._neutral:
            text, markup = self._neutral_for(self._announcement, language)
            self._neutral[language] = {
                "text": text,
                "disable_notification": self._announcement.silent or None,
                "protect_content": self._announcement.protect or None,
                "reply_markup": markup.to_dict(),
                "allow_paid_broadcast": True if self._paid else None,
            }
        return self._neutral[language]

    def for_language(self, language: str) -> dict[str, Any] | None:
        """The parameters for a reader of ``language`` (None: the announcement has no message to copy)."""
        try:
            return self._by_language[language]
        except KeyError:
            pass
        announcement = self._announcement
        versions = announcement.versions
        # Theirs, the default language's, or any.
        fallback = versions.get(self._default_language)
        if fallback is None and versions:
            fallback = versions[min(versions)]
        version = versions.get(language, fallback)
        kwargs = None
        if version is not None:
            markup = self._markup_for(announcement, language)  # a failing one raises for each reader: a try each
            kwargs = {
                "from_chat_id": version[0],
                "message_id": version[1],
                # False is Telegram's default: left out, the request is two parameters shorter to build.
                "disable_notification": announcement.silent or None,
                "protect_content": announcement.protect or None,
                # Already in its JSON form: PTB passes a dict through as is, and would otherwise serialise the
                # keyboard object again on every send (the largest part of a copy's CPU after the HTTP stack).
                "reply_markup": markup.to_dict() if markup is not None else None,
                "allow_paid_broadcast": True if self._paid else None,
            }
        self._by_language[language] = kwargs
        return kwargs


class Sender:
    """Sends one copy and classifies the answer; a 429 pauses the pacer for everyone."""

    def __init__(
        self,
        bot: Bot,
        pacer: Pacer,
        *,
        clock: Clock,
        max_attempts: int,
        retry_base: float,
        retry_cap: float,
    ) -> None:
        self.bot = bot
        self._pacer = pacer
        self._clock = clock
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_cap = retry_cap

    async def attempt(self, requests: CopyRequests, delivery: Delivery) -> Outcome | Transient | None:
        """Send one copy; return its outcome, a transient error (the run tells an outage from one chat's
        trouble), or None to send it again after a 429's pause."""
        user_id = delivery.user_id
        try:
            neutral = requests.neutral(delivery.language) if delivery.discreet else None
            kwargs = requests.for_language(delivery.language)
            if kwargs is None:
                return Outcome(user_id, DeliveryState.FAILED, "the announcement has no message to copy")
            if neutral is not None:  # discreet mode: nothing of the announcement on the lock screen
                await self.bot.send_message(chat_id=user_id, **neutral)
            else:
                await self.bot.copy_message(chat_id=user_id, **kwargs)
        except RetryAfter as exc:
            # Not the reader's fault and not a try: the row stays claimed and is sent again after the pause.
            seconds = retry_after_seconds(exc)
            if self._pacer.hold(seconds):
                logger.warning("flood control: all sending paused for %.1fs", seconds)
            return None
        except Forbidden as exc:  # blocked the bot, or the account was deleted
            return Outcome(user_id, DeliveryState.BLOCKED, self.describe(exc))
        except BadRequest as exc:
            if CHAT_NOT_FOUND in exc.message.lower():
                return Outcome(user_id, DeliveryState.GONE, self.describe(exc))
            # E.g. the admin deleted the message to copy: no retry can fix it.
            return Outcome(user_id, DeliveryState.FAILED, self.describe(exc))
        except NetworkError as exc:
            # Connection errors, TimedOut and 5xx answers: an outage, or (rarely) trouble with this one chat;
            # the run tells them apart. A timed-out request may still have been delivered by Telegram: the
            # retry can then give this person a second copy (the Bot API has no idempotency key).
            return Transient(self.describe(exc))
        except TelegramError as exc:  # anything else Telegram said: treat as transient, within max_attempts
            logger.warning("a delivery failed with an unexpected %s", type(exc).__name__)
            return self.retry_or_fail(delivery, self.describe(exc))
        except Exception as exc:  # a bug (e.g. in markup_for): keep the row, give up after max_attempts
            logger.exception("a delivery failed unexpectedly")
            return self.retry_or_fail(delivery, type(exc).__name__)
        return Outcome(user_id, DeliveryState.SENT)

    def describe(self, exc: TelegramError) -> str:
        """What went wrong, for last_error: Telegram's description (never message text), never the token."""
        text = exc.message[:ERROR_MAX]
        token = self.bot.token
        return text.replace(token, "<token>") if token and token in text else text

    def retry_or_fail(self, delivery: Delivery, error: str) -> Outcome:
        """A try of ``delivery`` failed: pending again after a back-off, or failed after max_attempts tries."""
        user_id, tries = delivery.user_id, delivery.attempts + 1
        if tries >= self.max_attempts:
            return Outcome(user_id, DeliveryState.FAILED, error)
        backoff = min(self.retry_cap, self.retry_base * 2 ** (tries - 1))
        return Outcome(user_id, DeliveryState.PENDING, error, not_before=self._clock() + backoff)
