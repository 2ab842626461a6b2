"""Shared state of the Bot API emulator: chats, update queue, activity tracking, JSON builders, delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ._flood import FloodWindows
from ._models import (
    ERR_CHAT_NOT_FOUND,
    ERR_TOO_MANY,
    ApiError,
    CallRecord,
    ChatState,
    EmulatedMessage,
    EmulatorStats,
    bad_request,
)
from ._tracking import ChatTracker

__all__ = [
    "DEFAULT_TOKEN",
    "SEND_METHODS",
    "EmulatorCore",
    "MessageListener",
    "Params",
    "PendingQuery",
    "StoredFile",
]

logger = logging.getLogger(__name__)

Params = dict[str, Any]
# Called with ("sent" | "edited" | "deleted", message) whenever the bot changes a message.
MessageListener = Callable[[str, EmulatedMessage], None]

DEFAULT_TOKEN: Final = "123456789:AAE-emulator-token-0123456789abcdefghij"
# Methods that deliver a message and count against flood limits and `delivered()`.
SEND_METHODS: Final[frozenset[str]] = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "sendPhoto",
        "sendDocument",
    }
)
# Telegram's default set when allowed_updates is empty: everything except these.
_NOT_DEFAULT_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CALL_LOG_SIZE: Final = 20_000
# Updates handed to the bot that ``replay`` can hand over again (a bounded history, as the call log).
_HANDED_SIZE: Final = 20_000


@dataclass
class PendingQuery:
    """A callback or inline query waiting for the bot's answer."""

    user_id: int
    chat_id: int | None
    data: str | None
    query: str | None = None
    action_seq: int = 0  # the driver action that created it; answers to older queries are stale


@dataclass
class StoredFile:
    """A file known to the emulator (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    kind: str
    size: int
    content: bytes | None
    file_name: str | None = None
    mime_type: str | None = None


class EmulatorCore:
    """State and helpers shared by the HTTP layer, the Bot API methods and the test driver."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str,
        bot_name: str,
        latency: float,
        global_rate_limit: float | None,
        per_chat_rate_limit: float | None,
        seed: int,
        keep_history: bool,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_name = bot_name
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456789
        self.latency = latency
        self.global_rate_limit = global_rate_limit
        self.per_chat_rate_limit = per_chat_rate_limit
        self.keep_history = keep_history
        self.stats = EmulatorStats()
        self.call_log: deque[CallRecord] = deque(maxlen=_CALL_LOG_SIZE)
        self._rng = random.Random(seed)
        self._chats: dict[int, ChatState] = {}
        self._views: dict[int, ChatTracker] = {}
        self._too_old: set[tuple[int, int]] = set()
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 100_000_000 + self._rng.randrange(1_000_000)
        self._allowed_updates: frozenset[str] | None = None
        self._callback_queries: dict[str, PendingQuery] = {}
        self._inline_queries: dict[str, PendingQuery] = {}
        self._query_counter = self._rng.randrange(10**17, 10**18)
        self._files: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._webhook: dict[str, Any] = {"url": ""}
        self._commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self._descriptions: dict[str, str] = {}
        self._short_descriptions: dict[str, str] = {}
        self._flood = FloodWindows()
        self._seq = 0
        self._activity_event = asyncio.Event()
        self._update_event = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight = 0
        self._last_call_at = time.monotonic()
        self._poll_generation = 0
        self._listeners: list[MessageListener] = []
        self._awaiting_delivery: dict[int, list[ChatTracker]] = {}
        self._handed: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._gates: dict[str, asyncio.Event] = {}

    # ----------------------------------------------------------------- notifications

    def _notify(self) -> None:
        """Wake everybody waiting for activity (wait_reply / wait_idle)."""
        self._activity_event.set()
        self._activity_event = asyncio.Event()

    async def _wait_activity(self, seconds: float) -> None:
        """Sleep until the next activity notification or until ``seconds`` passed."""
        event = self._activity_event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=max(seconds, 0.0))

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early when the emulator stops; return True if it is stopping."""
        if seconds <= 0:
            return self._stopping.is_set()
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def _touch(self, *chat_ids: int | None, message: EmulatedMessage | None = None, event: str = "") -> None:
        """Record that the bot changed these chats (for wait_reply), optionally marking a message."""
        self._seq += 1
        if message is not None:
            message._touched = self._seq
            for listener in list(self._listeners):
                try:
                    listener(event, message)
                except Exception:
                    logger.exception("bot message listener failed")
        now = time.monotonic()
        for chat_id in {c for c in chat_ids if c is not None}:
            view = self._views.get(chat_id)
            if view is not None:
                view._on_activity(self._seq, now, message_event=message is not None)
        self._notify()

    # ----------------------------------------------------------------- updates

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Append an update of ``kind`` for getUpdates; return its update_id (None if filtered out)."""
        allowed = self._allowed_updates
        if (kind not in allowed) if allowed is not None else (kind in _NOT_DEFAULT_UPDATES):
            logger.debug("update of type %s dropped by allowed_updates", kind)
            return None
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        self._update_event.set()
        self._update_event = asyncio.Event()
        self._notify()
        return update_id

    def _deliver_updates(self, batch: list[dict[str, Any]]) -> None:
        """Note that getUpdates handed these updates to the bot (wait_reply counts activity from now)."""
        now = time.monotonic()
        for update in batch:
            self._handed[update["update_id"]] = update
            self._handed.move_to_end(update["update_id"])
            if len(self._handed) > _HANDED_SIZE:
                self._handed.popitem(last=False)
            views = self._awaiting_delivery.pop(update["update_id"], None)
            if views:
                self._seq += 1
                for view in views:
                    view._on_delivered(update["update_id"], self._seq, now)
        self._notify()

    def _drop_update(self, update: dict[str, Any]) -> None:
        """Forget delivery tracking of an update removed from the queue."""
        self._awaiting_delivery.pop(update["update_id"], None)

    def _is_current(self, chat_id: int | None, action_seq: int) -> bool:
        """Return whether a query answer belongs to the chat's latest driver action (not a stale one)."""
        view = self._views.get(chat_id) if chat_id is not None else None
        return view is None or view._action_seq <= action_seq

    def _set_allowed_updates(self, value: Any) -> None:
        """Apply getUpdates/setWebhook allowed_updates (an empty list restores the default)."""
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("Bad Request: can't parse allowed updates JSON array")
        self._allowed_updates = frozenset(str(v) for v in value) if value else None

    # ----------------------------------------------------------------- ids

    def _new_query_id(self) -> str:
        """Return a fresh callback/inline query id."""
        self._query_counter += 1
        return str(self._query_counter)

    def _new_file(
        self,
        kind: str,
        content: bytes | None,
        *,
        size: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        register: bool = True,
    ) -> StoredFile:
        """Create a file record with Telegram-looking ids."""
        self._file_counter += 1
        prefixes = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI"}
        unique = f"AQAD{self._file_counter:06d}{self._rng.getrandbits(32):08x}"
        file = StoredFile(
            file_id=f"{prefixes.get(kind, 'AwACAgIAAxkBAAI')}{self._file_counter:06d}{unique[-8:]}",
            file_unique_id=unique,
            kind=kind,
            size=len(content) if content is not None else (size or 0),
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        if register:
            self._files[file.file_id] = file
        return file

    # ----------------------------------------------------------------- chats

    def _chat(self, value: Any) -> ChatState:
        """Resolve a chat_id parameter (int, numeric string or @username) or raise chat not found."""
        if value is None or value == "":
            raise bad_request("Bad Request: chat_id is empty")
        chat: ChatState | None = None
        if isinstance(value, bool):
            chat = None
        elif isinstance(value, int):
            chat = self._chats.get(value)
        elif isinstance(value, str):
            text = value.strip()
            if text.startswith("@"):
                name = text[1:].lower()
                chat = next((c for c in self._chats.values() if c.username and c.username.lower() == name), None)
            else:
                try:
                    chat = self._chats.get(int(text))
                except ValueError:
                    chat = None
        if chat is None:
            raise bad_request(ERR_CHAT_NOT_FOUND)
        return chat

    @staticmethod
    def _check_blocked(chat: ChatState) -> None:
        """Raise 403 when the private chat's user blocked the bot or deleted the account."""
        if chat.forbidden:
            raise ApiError(403, chat.forbidden)

    def _bot_user_json(self) -> dict[str, Any]:
        """Return the bot's User object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_name, "username": self.bot_username}

    def _user_json(self, user_id: int) -> dict[str, Any]:
        """Return the User object of an emulated user (or the bot)."""
        if user_id == self.bot_id:
            return self._bot_user_json()
        chat = self._chats.get(user_id)
        if chat is not None and chat.type == "private":
            return chat.user_json()
        return {"id": user_id, "is_bot": False, "first_name": "User"}

    # ----------------------------------------------------------------- messages

    def _message_json(self, msg: EmulatedMessage, chat: ChatState, *, nested: bool = False) -> dict[str, Any]:
        """Serialise a stored message as a Bot API Message object."""
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self._user_json(self.bot_id if msg.from_bot else msg.sender_id),
            "chat": chat.to_json(),
            "date": msg.date,
        }
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.protect_content:
            data["has_protected_content"] = True
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        data.update(msg.extra)
        if msg.caption:
            data["caption"] = msg.caption
            if msg.caption_entities:
                data["caption_entities"] = msg.caption_entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if msg.reply_to_message_id is not None and not nested and chat.messages is not None:
            replied = chat.messages.get(msg.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self._message_json(replied, chat, nested=True)
        return data

    def _store(self, chat: ChatState, msg: EmulatedMessage) -> None:
        """Keep a message in the chat history when the chat keeps history."""
        if chat.messages is not None:
            chat.messages[msg.message_id] = msg

    def _find(self, chat: ChatState, message_id: int) -> EmulatedMessage | None:
        """Return a visible stored message of the chat."""
        if chat.messages is None:
            return None
        msg = chat.messages.get(message_id)
        return None if msg is None or msg.deleted else msg

    def _exists_untracked(self, chat: ChatState, message_id: int) -> bool:
        """For chats without history: whether a message id could exist."""
        return chat.messages is None and 0 < message_id < chat.next_message_id

    # ----------------------------------------------------------------- flood control

    def _check_rate(self, chat_id: int) -> None:
        """Raise 429 when delivering to ``chat_id`` now would exceed a configured flood limit."""
        retry_after = self._flood.retry_after(
            chat_id, time.monotonic(), self.global_rate_limit, self.per_chat_rate_limit
        )
        if retry_after is not None:
            self.stats.rate_limited += 1
            raise ApiError(429, ERR_TOO_MANY.format(retry_after), retry_after=retry_after)

    def _record_delivery(self, chat_id: int) -> None:
        """Count a delivered message for flood control and statistics."""
        self._flood.record(chat_id, time.monotonic(), self.global_rate_limit, self.per_chat_rate_limit)
        self.stats.delivered[chat_id] += 1

    # ----------------------------------------------------------------- bot messages

    def _deliver(self, chat: ChatState, msg_fields: dict[str, Any]) -> dict[str, Any]:
        """Create a bot message in ``chat`` after flood control; return its Message JSON."""
        self._check_rate(chat.id)
        msg = EmulatedMessage(
            message_id=chat.allocate_id(),
            chat_id=chat.id,
            sender_id=self.bot_id,
            from_bot=True,
            date=int(time.time()),
            **msg_fields,
        )
        self._store(chat, msg)
        self._record_delivery(chat.id)
        self._touch(chat.id, message=msg, event="sent")
        return self._message_json(msg, chat)
