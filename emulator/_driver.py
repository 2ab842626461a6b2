"""Test driver: emulated users and groups that talk to the bot and observe its replies."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any, Final

from ._core import EmulatorCore, PendingQuery
from ._html import utf16_len
from ._models import ERR_BLOCKED, CallbackAnswer, ChatState, EmulatedMessage, InlineAnswer
from ._tracking import ChatTracker

__all__ = ["ChatView", "EmulatedGroup", "EmulatedUser"]

logger = logging.getLogger(__name__)

_COMMAND_RE: Final = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_DEFAULT_TIMEOUT: Final = 5.0
_DEFAULT_QUIET: Final = 0.05
# The quiet period grows with the bot's first-response delay (slow CI), up to this many seconds.
_MAX_ADAPTIVE_QUIET: Final = 0.5
Button = str | int


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
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        entities: list[dict[str, Any]] = []
        match = _COMMAND_RE.match(text)
        if match:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))})
        return self._post(sender_id, text=text, entities=entities)

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


class EmulatedUser(ChatView):
    """A Telegram user with a private chat with the bot."""

    def __repr__(self) -> str:
        """Return a compact debug representation."""
        return f"<EmulatedUser {self.id} lang={self.language_code!r}>"

    @property
    def first_name(self) -> str:
        """Return the user's first name."""
        return self._chat.first_name or ""

    @property
    def username(self) -> str | None:
        """Return the user's username."""
        return self._chat.username

    @property
    def language_code(self) -> str | None:
        """Return the language_code sent with the user's updates."""
        return self._chat.language_code

    @language_code.setter
    def language_code(self, value: str | None) -> None:
        """Change the language_code of later updates (like switching the app language)."""
        self._chat.language_code = value

    @property
    def blocked(self) -> bool:
        """Return whether the user currently blocks the bot."""
        return self._chat.forbidden == ERR_BLOCKED

    @property
    def inline_results(self) -> list[dict[str, Any]]:
        """Return the results of the newest answerInlineQuery for this user."""
        return self.inline_answers[-1].results if self.inline_answers else []

    def _member_update(self, old: str, new: str) -> dict[str, Any]:
        """Build a my_chat_member update payload."""
        bot = self._emu._bot_user_json()
        new_member: dict[str, Any] = {"user": bot, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        return {
            "chat": self._chat.to_json(),
            "from": self._chat.user_json(),
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": old, **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": new_member,
        }

    def block(self, *, notify: bool = True) -> None:
        """Block the bot: later sends answer 403; the bot gets a my_chat_member update."""
        if self.blocked:
            return
        self._chat.forbidden = ERR_BLOCKED
        if notify:
            self._emu._enqueue("my_chat_member", self._member_update("member", "kicked"))

    def unblock(self, *, notify: bool = True) -> None:
        """Unblock the bot (Telegram's "Restart"); the bot gets a my_chat_member update."""
        if not self.blocked:
            return
        self._chat.forbidden = None
        if notify:
            self._emu._enqueue("my_chat_member", self._member_update("kicked", "member"))

    async def send(self, text: str) -> EmulatedMessage:
        """Send a text message (commands get a bot_command entity); unblocks a blocked bot first."""
        self.unblock()
        return self._post_text(self.id, text)

    async def start(self, payload: str | None = None) -> EmulatedMessage:
        """Send /start, optionally with a deep-link payload."""
        return await self.send(f"/start {payload}" if payload else "/start")

    async def ask(self, text: str, timeout: float = _DEFAULT_TIMEOUT) -> list[EmulatedMessage]:  # noqa: ASYNC109 (timeout is part of the driver API)
        """Send a text and wait for the reply; return the new or changed bot messages."""
        await self.send(text)
        return await self.wait_reply(timeout)

    def _file(self, kind: str, **extra: Any) -> dict[str, Any]:
        """Return a media object for a user-sent file."""
        file = self._emu._new_file(
            kind,
            b"emulated " + kind.encode(),
            file_name=extra.pop("file_name", None),
            mime_type=extra.pop("mime_type", None),
        )
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            **extra,
        }

    async def send_sticker(self, emoji: str = "\N{THUMBS UP SIGN}") -> EmulatedMessage:
        """Send a sticker."""
        sticker = self._file(
            "sticker", type="regular", width=512, height=512, is_animated=False, is_video=False, emoji=emoji
        )
        return self._post(self.id, media="sticker", extra={"sticker": sticker})

    async def send_photo(self, caption: str | None = None) -> EmulatedMessage:
        """Send a photo, optionally with a caption."""
        photo = self._file("photo", width=800, height=600)
        return self._post(self.id, media="photo", caption=caption, extra={"photo": [photo]})

    async def send_voice(self, duration: int = 2) -> EmulatedMessage:
        """Send a voice note."""
        voice = self._file("voice", duration=duration, mime_type="audio/ogg")
        return self._post(self.id, media="voice", extra={"voice": voice})

    async def send_document(
        self, file_name: str = "document.pdf", mime_type: str = "application/pdf", caption: str | None = None
    ) -> EmulatedMessage:
        """Send a document."""
        document = self._file("document", file_name=file_name, mime_type=mime_type)
        document.update(file_name=file_name, mime_type=mime_type)
        return self._post(self.id, media="document", caption=caption, extra={"document": document})

    async def send_contact(self, phone_number: str = "+998901234567") -> EmulatedMessage:
        """Share the user's own contact."""
        contact = {"phone_number": phone_number, "first_name": self.first_name, "user_id": self.id}
        return self._post(self.id, media="contact", extra={"contact": contact})

    async def send_location(self, latitude: float = 41.311081, longitude: float = 69.240562) -> EmulatedMessage:
        """Share a location (Tashkent by default)."""
        return self._post(self.id, media="location", extra={"location": {"latitude": latitude, "longitude": longitude}})

    async def edit(self, message_id: int, new_text: str) -> EmulatedMessage:
        """Edit one of the user's own text messages (queues an edited_message update)."""
        msg = self._emu._find(self._chat, message_id)
        if msg is None or msg.from_bot or msg.text is None:
            raise LookupError(f"no text message #{message_id} of user {self.id} to edit")
        self._begin_action()
        match = _COMMAND_RE.match(new_text)
        msg.text = new_text
        msg.entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}] if match else []
        msg.edited += 1
        msg.edit_date = int(time.time())
        self._await_update(self._emu._enqueue("edited_message", self._emu._message_json(msg, self._chat)))
        return msg

    async def press(self, button: Button, *, message_id: int | None = None) -> str:
        """Press an inline button (visible text or 1-based row-major index); return the query id."""
        return self._press(self.id, button, message_id)

    async def press_data(self, data: str, message_id: int | None = None) -> str:
        """Send arbitrary (possibly forged) callback data; return the query id."""
        return self._press_data(self.id, data, message_id)

    async def click(
        self,
        button: Button,
        *,
        message_id: int | None = None,
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
    ) -> list[EmulatedMessage]:
        """Press a button and wait for the reply; return the new or changed bot messages."""
        await self.press(button, message_id=message_id)
        return await self.wait_reply(timeout)

    async def inline_query(self, query: str, offset: str = "") -> str:
        """Type ``@bot query`` in any chat (queues an inline_query update); return the query id."""
        emu = self._emu
        self._begin_action()
        query_id = emu._new_query_id()
        emu._inline_queries[query_id] = PendingQuery(
            user_id=self.id, chat_id=None, data=None, query=query, action_seq=emu._seq
        )
        update_id = emu._enqueue(
            "inline_query",
            {
                "id": query_id,
                "from": self._chat.user_json(),
                "query": query,
                "offset": offset,
                "chat_type": "sender",
            },
        )
        self._await_update(update_id)
        self._inline_query = query_id
        return query_id

    async def wait_inline(
        self,
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
    ) -> InlineAnswer:
        """Wait for the bot's answerInlineQuery to the latest inline query; return it."""
        query_id = self._inline_query

        def answered() -> InlineAnswer | None:
            return next((a for a in self.inline_answers if a.query_id == query_id), None)

        await self.wait_for(lambda: answered() is not None, timeout, "answer to the inline query")
        answer = answered()
        assert answer is not None
        return answer


class EmulatedGroup(ChatView):
    """A group chat where emulated users post and press buttons."""

    def __repr__(self) -> str:
        """Return a compact debug representation."""
        return f"<EmulatedGroup {self.id}>"

    @property
    def title(self) -> str:
        """Return the group title."""
        return self._chat.title or ""

    async def send(self, user: EmulatedUser, text: str) -> EmulatedMessage:
        """Post a text message as ``user``."""
        user._begin_action()
        return self._post_text(user.id, text)

    async def ask(
        self,
        user: EmulatedUser,
        text: str,
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
    ) -> list[EmulatedMessage]:
        """Post as ``user`` and wait for the bot's reply in the group."""
        await self.send(user, text)
        return await self.wait_reply(timeout)

    async def press(self, user: EmulatedUser, button: Button, *, message_id: int | None = None) -> str:
        """Press an inline button in the group as ``user``; return the query id."""
        return self._press(user.id, button, message_id)

    async def press_data(self, user: EmulatedUser, data: str, message_id: int | None = None) -> str:
        """Send arbitrary callback data in the group as ``user``; return the query id."""
        return self._press_data(user.id, data, message_id)

    async def click(
        self,
        user: EmulatedUser,
        button: Button,
        *,
        message_id: int | None = None,
        timeout: float = _DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
    ) -> list[EmulatedMessage]:
        """Press a button as ``user`` and wait for the bot's reaction in the group."""
        await self.press(user, button, message_id=message_id)
        return await self.wait_reply(timeout)
