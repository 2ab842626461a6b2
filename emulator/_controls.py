"""What a test or the demo does to the emulator and reads from it, besides what its users do.

Chats (users, groups, many cheap recipients, blocks), listeners, the call log and statistics, held calls, replayed
updates, the bot's stored commands and descriptions, and waiting until the emulator is idle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from ._core import MessageListener
from ._driver import EmulatedGroup, EmulatedUser
from ._methods import API_METHODS, BotMethods
from ._models import ERR_BLOCKED, ERR_DEACTIVATED, CallRecord, ChatState, EmulatedMessage, EmulatorStats

__all__ = ["EmulatorControls"]

logger = logging.getLogger(__name__)


class EmulatorControls(BotMethods):
    """The emulator's own driver API: set up chats, observe the bot's calls, wait until all is done."""

    # ----------------------------------------------------------------- driver: chats

    def user(
        self,
        user_id: int,
        *,
        language_code: str | None = "ru",
        first_name: str = "Test",
        username: str | None = None,
        last_name: str | None = None,
    ) -> EmulatedUser:
        """Return the emulated user ``user_id`` (same id, same object), creating the private chat once."""
        # Later calls ignore the other arguments; a user pre-created by add_users() keeps its attributes
        # and starts keeping history.
        existing = self._views.get(user_id)
        if isinstance(existing, EmulatedUser):
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive integers")
        chat = self._chats.get(user_id)
        if chat is None:
            chat = ChatState(
                user_id,
                "private",
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
                keep_history=self.keep_history,
            )
            self._chats[user_id] = chat
        elif chat.messages is None and self.keep_history:
            chat.messages = {}
        view = EmulatedUser(self, chat)
        self._views[user_id] = view
        return view

    def group(self, chat_id: int, title: str = "Group") -> EmulatedGroup:
        """Return the emulated group ``chat_id`` (negative; <= -10**12 makes a supergroup)."""
        existing = self._views.get(chat_id)
        if isinstance(existing, EmulatedGroup):
            return existing
        if chat_id >= 0:
            raise ValueError("group chat ids are negative integers")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat_type = "supergroup" if chat_id <= -(10**12) else "group"
            chat = ChatState(chat_id, chat_type, title=title, keep_history=self.keep_history)
            self._chats[chat_id] = chat
        view = EmulatedGroup(self, chat)
        self._views[chat_id] = view
        return view

    def add_users(
        self,
        user_ids: Iterable[int],
        *,
        language_code: str | None = "ru",
        first_name: str = "User",
        keep_history: bool = False,
    ) -> int:
        """Cheaply pre-create many private chats (e.g. broadcast recipients); return how many were new."""
        created = 0
        for user_id in user_ids:
            if user_id in self._chats:
                continue
            self._chats[user_id] = ChatState(
                user_id,
                "private",
                first_name=first_name,
                language_code=language_code,
                keep_history=keep_history,
            )
            created += 1
        return created

    def has_chat(self, chat_id: int) -> bool:
        """Return whether the chat exists (so sending to it does not fail with chat not found)."""
        return chat_id in self._chats

    def remove_chat(self, chat_id: int) -> None:
        """Forget a chat entirely; sending to it then fails with "chat not found"."""
        self._chats.pop(chat_id, None)
        self._views.pop(chat_id, None)

    def block(self, chat_id: int) -> None:
        """Make a (possibly bulk) user block the bot without emitting an update."""
        self._private(chat_id).forbidden = ERR_BLOCKED

    def deactivate(self, chat_id: int) -> None:
        """Make a user's account deleted: sending answers 403 "Forbidden: user is deactivated"."""
        self._private(chat_id).forbidden = ERR_DEACTIVATED

    def unblock(self, chat_id: int) -> None:
        """Undo block()/deactivate() without emitting an update."""
        self._private(chat_id).forbidden = None

    def _private(self, chat_id: int) -> ChatState:
        """Return an existing private chat or raise KeyError."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.type != "private":
            raise KeyError(f"no private chat {chat_id}")
        return chat

    def add_listener(self, listener: MessageListener) -> None:
        """Call ``listener(event, message)`` whenever the bot sends, edits or deletes a message."""
        self._listeners.append(listener)

    def remove_listener(self, listener: MessageListener) -> None:
        """Stop calling a listener added with add_listener()."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def mark_too_old(self, chat_id: int, message_id: int) -> None:
        """Make later edits (and deletions) of this message fail like for a 48h-old message."""
        self._too_old.add((chat_id, message_id))

    def messages(self, chat_id: int) -> list[EmulatedMessage]:
        """Return the bot's visible messages of any chat that keeps history."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.messages is None:
            return []
        return [m for m in chat.messages.values() if m.from_bot and not m.deleted]

    def file_content(self, file_id: str) -> bytes | None:
        """Return the bytes of a file the bot uploaded (a photo, a document), if this emulator kept them."""
        file = self._files.get(file_id)
        return file.content if file is not None else None

    def file_name(self, file_id: str) -> str | None:
        """Return the name a file was uploaded under, if any."""
        file = self._files.get(file_id)
        return file.file_name if file is not None else None

    # ----------------------------------------------------------------- driver: observation

    def delivered(self, chat_id: int) -> int:
        """Return how many messages were successfully sent or copied to the chat."""
        return self.stats.delivered.get(chat_id, 0)

    def calls(self, method: str | None = None) -> list[CallRecord]:
        """Return the call log (optionally of one method), oldest first."""
        if method is None:
            return list(self.call_log)
        return [c for c in self.call_log if c.method.lower() == method.lower()]

    def reset_stats(self) -> None:
        """Zero all counters and the call log."""
        self.stats = EmulatorStats()
        self.call_log.clear()

    def hold_calls(self, method: str) -> None:
        """Hold every call of ``method`` (answering nothing) until ``release_calls``: a bot stuck mid-handler."""
        name = API_METHODS[method.lower()][0]
        self._gates.setdefault(name, asyncio.Event())

    def release_calls(self, method: str) -> None:
        """Let the calls held by ``hold_calls`` (and later ones) through."""
        gate = self._gates.pop(API_METHODS[method.lower()][0], None)
        if gate is not None:
            gate.set()

    def handed_updates(self) -> list[dict[str, Any]]:
        """The updates getUpdates handed to the bot (the most recent 20,000), oldest first."""
        return list(self._handed.values())

    def replay(self, update_ids: Iterable[int]) -> int:
        """Serve these already handed updates again, with their ids, as Telegram does with updates the bot did not
        confirm; return how many. Telegram never serves an update below a confirmed offset: a bot sees them only
        when it polls from an earlier offset, as after a restart (PTB starts from offset 0)."""
        pending = {u["update_id"] for u in self._updates}
        again = [self._handed[i] for i in update_ids if i in self._handed and i not in pending]
        if again:
            self._updates = deque(sorted([*self._updates, *again], key=lambda u: int(u["update_id"])))
            self._update_event.set()
            self._update_event = asyncio.Event()
            self._notify()
        return len(again)

    @property
    def pending_updates(self) -> int:
        """Return how many updates were not yet confirmed by getUpdates."""
        return len(self._updates)

    @property
    def webhook_url(self) -> str:
        """Return the URL stored by setWebhook ("" if none)."""
        return str(self._webhook["url"])

    def commands(
        self,
        scope: str = "default",
        language_code: str = "",
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> list[tuple[str, str]]:
        """Return the (command, description) pairs set for a scope type and language."""
        stored = self._commands.get((scope, chat_id, user_id, language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def description(self, language_code: str = "") -> str:
        """Return the description set via setMyDescription for a language."""
        return self._descriptions.get(language_code, "")

    def short_description(self, language_code: str = "") -> str:
        """Return the short description set via setMyShortDescription for a language."""
        return self._short_descriptions.get(language_code, "")

    async def wait_idle(self, quiet: float = 0.1, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (timeout is part of the driver API)
        """Wait until every update was fetched and no Bot API call arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            settled = not self._updates and self._inflight == 0
            if settled and now - self._last_call_at >= quiet:
                return
            if now >= deadline:
                raise TimeoutError(
                    f"emulator not idle after {timeout:g}s: {len(self._updates)} update(s) not fetched "
                    f"(is the bot polling?), {self._inflight} call(s) in flight"
                )
            wait = deadline - now
            if settled:
                wait = min(wait, quiet - (now - self._last_call_at))
            await self._wait_activity(wait)
