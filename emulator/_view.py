"""A chat as a test sees it: the bot's visible messages, waiting for the bot's reply, and the plumbing of actions."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any, Final

from ._core import EmulatorCore, PendingQuery
from ._html import utf16_len
from ._models import CallbackAnswer, ChatState, EmulatedMessage
from ._tracking import ChatTracker

__all__ = ["DEFAULT_TIMEOUT", "Button", "ChatView", "command_entities"]

logger = logging.getLogger(__name__)

_COMMAND_RE: Final = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
DEFAULT_TIMEOUT: Final = 5.0
_DEFAULT_QUIET: Final = 0.05
# The quiet period grows with the bot's first-response delay (slow CI), up to this many seconds.
_MAX_ADAPTIVE_QUIET: Final = 0.5
# A button as a test names it: its visible text, or its 1-based row-major index.
Button = str | int


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity Telegram adds to a text that starts with a command (else none)."""
    match = _COMMAND_RE.match(text)
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}] if match else []


class ChatView(ChatTracker):
    """A chat as a test sees it: the bot's visible messages, the history and reply waiting."""

    def __init__(self, emu: EmulatorCore, chat: ChatState) -> None:
        super().__init__(emu._seq, time.monotonic())
        self._emu = emu
        self._chat = chat

    @property
    def id(self) -> int:
        """Return the chat id."""
        return self._chat.id

    @property
    def chat_id(self) -> int:
        """Return the chat id."""
        return self._chat.id

    @property
    def history(self) -> list[EmulatedMessage]:
        """Return every message of the chat in order, the user's and deleted ones included."""
        return list(self._chat.messages.values()) if self._chat.messages is not None else []

    @property
    def messages(self) -> list[EmulatedMessage]:
        """Return the bot's messages currently visible in the chat (edits applied, deletions removed)."""
        return [m for m in self.history if m.from_bot and not m.deleted]

    @property
    def last(self) -> EmulatedMessage | None:
        """Return the newest visible bot message, or None."""
        visible = self.messages
        return visible[-1] if visible else None

    @property
    def last_callback_answer(self) -> CallbackAnswer | None:
        """Return the newest answerCallbackQuery recorded for this chat."""
        return self.callback_answers[-1] if self.callback_answers else None

    def find(self, fragment: str) -> EmulatedMessage | None:
        """Return the newest visible bot message whose text or caption contains ``fragment``."""
        for msg in reversed(self.messages):
            if fragment in (msg.content or ""):
                return msg
        return None

    # ----------------------------------------------------------------- waiting

    def _begin_action(self) -> None:
        """Remember the point after which bot activity counts as a reply."""
        emu = self._emu
        emu._seq += 1
        self._mark = emu._seq
        self._action_seq = emu._seq
        self._action_at = time.monotonic()
        self._first_activity_at = None
        self._awaited_update = None
        self._baseline = self._events

    def _await_update(self, update_id: int | None) -> None:
        """Ignore bot activity for wait_reply until the bot has fetched this update."""
        self._awaited_update = update_id
        if update_id is not None:
            self._emu._awaiting_delivery.setdefault(update_id, []).append(self)

    def _quiet_for(self, quiet: float) -> float:
        """Return the quiet period, stretched when the bot was slow to react (e.g. on a loaded machine)."""
        if self._first_activity_at is None:
            return quiet
        return max(quiet, min(self._first_activity_at - self._action_at, _MAX_ADAPTIVE_QUIET))

    def _changed_since(self, mark: int) -> list[EmulatedMessage]:
        """Return visible bot messages created or changed after ``mark``."""
        return [m for m in self.messages if m._touched > mark]

    def _timeout_message(self, timeout: float, expected: str = "a reply") -> str:
        """Explain why no reply arrived."""
        parts = [f"no {expected} from the bot in chat {self.id} within {timeout:g}s after the last action"]
        if self._awaited_update is not None:
            parts.append(f"the bot has not fetched update {self._awaited_update} yet (is the bot polling?)")
        pending = len(self._emu._updates)
        if pending:
            parts.append(f"{pending} update(s) not yet confirmed via getUpdates")
        if self.recent_errors:
            errors = "; ".join(f"{method}: {description}" for method, description in self.recent_errors)
            parts.append(f"recent Bot API errors in this chat: {errors}")
        return ", ".join(parts)

    async def wait_reply(
        self,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
        *,
        count: int = 1,
    ) -> list[EmulatedMessage]:
        """Wait until the bot sent, edited or deleted ``count`` messages here since the last action.

        Counting the expected calls from a baseline (rather than waiting for a quiet period) keeps a test
        right however slow the machine is: a callback answer alone is no reply (see ``wait_answer``), and a
        reply of several calls (delete + send, previews + summary) is awaited with ``count``. Return the
        visible messages created or changed since the last action.
        """
        deadline = time.monotonic() + timeout
        while self._awaited_update is not None or self._events - self._baseline < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = self._events - self._baseline if self._awaited_update is None else 0
                raise TimeoutError(self._timeout_message(timeout, f"{count} message change(s) (saw {seen})"))
            await self._emu._wait_activity(remaining)
        changed = self._changed_since(self._mark)
        self._baseline += count
        self._mark = max(self._mark, self._event_seq)
        self._action_at = time.monotonic()
        self._first_activity_at = None
        return changed

    async def wait_for(
        self,
        condition: Callable[[], object],
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
        what: str = "the expected state",
    ) -> None:
        """Wait until ``condition()`` is true; it is re-checked after every Bot API call that changed a chat."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(timeout, what))
            await self._emu._wait_activity(remaining)

    async def wait_answer(
        self,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
    ) -> CallbackAnswer:
        """Wait for the bot's answerCallbackQuery to the latest button press here; return it."""
        query_id = self._pressed

        def answered() -> CallbackAnswer | None:
            return next((a for a in self.callback_answers if a.query_id == query_id), None)

        await self.wait_for(lambda: answered() is not None, timeout, "answer to the button press")
        answer = answered()
        assert answer is not None
        return answer

    async def wait_quiet(
        self,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
        *,
        quiet: float = _DEFAULT_QUIET,
    ) -> list[EmulatedMessage]:
        """Wait until the bot changed this chat after the last action and went quiet; return changes.

        For the interactive demo, where nobody knows how many calls a reply takes. Tests use ``wait_reply``
        or ``wait_for``: a quiet period is a guess that a busy machine breaks.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            seen = self._awaited_update is None and self._activity_seq > self._mark
            settled = seen and self._inflight == 0
            needed = self._quiet_for(quiet)
            if settled and now - self._activity_at >= needed:
                break
            if now >= deadline:
                if seen:
                    break
                raise TimeoutError(self._timeout_message(timeout))
            wait = deadline - now
            if settled:
                wait = min(wait, needed - (now - self._activity_at))
            await self._emu._wait_activity(wait)
        mark = self._mark
        self._mark = max(self._mark, self._activity_seq)
        self._baseline = self._events
        self._action_at = time.monotonic()
        self._first_activity_at = None
        return self._changed_since(mark)

    # ----------------------------------------------------------------- helpers for actions

    def _post(
        self,
        sender_id: int,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        media: str | None = None,
        caption: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> EmulatedMessage:
        """Create a user message in this chat and queue the ``message`` update."""
        emu = self._emu
        self._begin_action()
        msg = EmulatedMessage(
            message_id=self._chat.allocate_id(),
            chat_id=self._chat.id,
            sender_id=sender_id,
            from_bot=False,
            date=int(time.time()),
            text=text,
            entities=entities,
            media=media,
            caption=caption,
            extra=extra,
        )
        emu._store(self._chat, msg)
        self._await_update(emu._enqueue("message", emu._message_json(msg, self._chat)))
        return msg

    def _post_text(self, sender_id: int, text: str) -> EmulatedMessage:
        """Post a text message, adding the bot_command entity Telegram adds for commands."""
        return self._post(sender_id, text=text, entities=command_entities(text))

    def _target(self, message_id: int | None) -> EmulatedMessage:
        """Return the given bot message or the newest visible one with an inline keyboard."""
        if message_id is not None:
            msg = self._emu._find(self._chat, message_id)
            if msg is None or not msg.from_bot:
                raise LookupError(f"no visible bot message #{message_id} in chat {self.id}")
            return msg
        for msg in reversed(self.messages):
            if msg.buttons:
                return msg
        raise LookupError(f"no bot message with an inline keyboard in chat {self.id}; visible: {self.messages}")

    @staticmethod
    def _button_data(msg: EmulatedMessage, button: Button) -> str:
        """Find a button by visible text or 1-based row-major index; return its callback_data."""
        flat = [b for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row]
        chosen: dict[str, Any] | None = None
        if isinstance(button, int):
            if not 1 <= button <= len(flat):
                raise IndexError(f"button index {button} out of range 1..{len(flat)}: {msg.button_texts}")
            chosen = flat[button - 1]
        else:
            exact = [b for b in flat if b.get("text") == button]
            loose = [b for b in flat if str(b.get("text", "")).strip().casefold() == button.strip().casefold()]
            candidates = exact or loose
            if not candidates:
                raise LookupError(f"no button {button!r} on message #{msg.message_id}: {msg.button_texts}")
            chosen = candidates[0]
        if "callback_data" not in chosen:
            raise ValueError(f"button {chosen.get('text')!r} has no callback_data: {chosen}")
        return str(chosen["callback_data"])

    def _callback(self, user_id: int, msg: EmulatedMessage | None, data: str) -> str:
        """Queue a callback_query update from ``user_id`` and return its query id."""
        emu = self._emu
        views = [self]
        user_view = emu._views.get(user_id)
        if isinstance(user_view, ChatView) and user_view is not self:
            views.append(user_view)
        for view in views:
            view._begin_action()
        query_id = emu._new_query_id()
        emu._callback_queries[query_id] = PendingQuery(user_id=user_id, chat_id=self.id, data=data, action_seq=emu._seq)
        payload: dict[str, Any] = {
            "id": query_id,
            "from": emu._user_json(user_id),
            "chat_instance": str((abs(self.id) * 1_000_003) % 10**19),
            "data": data,
        }
        if msg is not None:
            payload["message"] = emu._message_json(msg, self._chat)
        update_id = emu._enqueue("callback_query", payload)
        for view in views:
            view._pressed = query_id
            view._await_update(update_id)
        return query_id

    def _press(self, user_id: int, button: Button, message_id: int | None) -> str:
        """Press an inline button of a bot message as ``user_id``."""
        msg = self._target(message_id)
        return self._callback(user_id, msg, self._button_data(msg, button))

    def _press_data(self, user_id: int, data: str, message_id: int | None) -> str:
        """Send arbitrary callback data as if a button carrying it was pressed."""
        if message_id is not None:
            msg: EmulatedMessage | None = self._target(message_id)
        else:
            keyboards = [m for m in self.messages if m.buttons]
            msg = keyboards[-1] if keyboards else self.last
        return self._callback(user_id, msg, data)
