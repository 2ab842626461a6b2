"""Test driver: emulated users and groups that act in their chats (send, press, edit, block) as people do."""

from __future__ import annotations

import logging
import time
from typing import Any

from ._core import PendingQuery
from ._models import ERR_BLOCKED, EmulatedMessage, InlineAnswer
from ._view import DEFAULT_TIMEOUT, Button, ChatView, command_entities

__all__ = ["EmulatedGroup", "EmulatedUser"]

logger = logging.getLogger(__name__)


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

    async def ask(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> list[EmulatedMessage]:  # noqa: ASYNC109 (timeout is part of the driver API)
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
        msg.text = new_text
        msg.entities = command_entities(new_text)
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
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
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
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (timeout is part of the driver API)
    ) -> list[EmulatedMessage]:
        """Press a button as ``user`` and wait for the bot's reaction in the group."""
        await self.press(user, button, message_id=message_id)
        return await self.wait_reply(timeout)
