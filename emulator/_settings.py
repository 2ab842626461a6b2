"""Service Bot API methods of the emulator: polling, webhooks, bot settings, chats and files."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from typing import Any, Final

from telegram.constants import (
    BotCommandLimit,
    BotDescriptionLimit,
    BotNameLimit,
    ChatAction,
    PollingLimit,
)

from ._core import EmulatorCore, Params
from ._models import (
    ERR_BAD_ACTION,
    ERR_COMMAND_DESCRIPTION_INVALID,
    ERR_COMMAND_INVALID,
    ERR_CONFLICT_POLL,
    ERR_CONFLICT_WEBHOOK,
    ERR_DESCRIPTION_TOO_LONG,
    ERR_INVALID_FILE_ID,
    ERR_NAME_TOO_LONG,
    ERR_SHORT_DESCRIPTION_TOO_LONG,
    ERR_TOO_MANY_COMMANDS,
    ApiError,
    bad_request,
)
from ._params import api, flag, opt_int

__all__ = ["ServiceMethods"]

logger = logging.getLogger(__name__)

_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]+$")
_CHAT_ACTIONS: Final = frozenset(a.value for a in ChatAction)


class ServiceMethods(EmulatorCore):
    """Bot API methods that do not send or change messages."""

    # ----------------------------------------------------------------- bot & polling

    @api("getMe")
    def _get_me(self, p: Params) -> Any:
        """Return the bot's User object."""
        return {
            **self._bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm(self, offset: int) -> None:
        """Forget updates confirmed by a getUpdates offset (negative = keep only the last -offset)."""
        before = len(self._updates)
        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._drop_update(self._updates.popleft())
        elif offset < 0:
            while len(self._updates) > -offset:
                self._drop_update(self._updates.popleft())
        if len(self._updates) != before:
            self._notify()

    @api("getUpdates")
    async def _get_updates(self, p: Params) -> Any:
        """Long polling: return pending updates, waiting up to ``timeout`` seconds for new ones."""
        if self._webhook["url"]:
            raise ApiError(409, ERR_CONFLICT_WEBHOOK)
        self._set_allowed_updates(p.get("allowed_updates"))
        limit = min(max(opt_int(p, "limit", PollingLimit.MAX_LIMIT), PollingLimit.MIN_LIMIT), PollingLimit.MAX_LIMIT)
        try:
            timeout = float(p.get("timeout") or 0)
        except (TypeError, ValueError):
            raise bad_request("Bad Request: invalid timeout specified") from None
        self._confirm(opt_int(p, "offset", 0))
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_event.set()  # wakes an older long poll, which then answers 409
        self._update_event = asyncio.Event()
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, ERR_CONFLICT_POLL)
            if self._updates:
                batch = list(itertools.islice(self._updates, limit))
                self._deliver_updates(batch)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                return []
            event = self._update_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=remaining)

    @api("setWebhook")
    def _set_webhook(self, p: Params) -> Any:
        """Store the webhook settings (the emulator never calls the webhook)."""
        url = str(p.get("url") or "")
        self._set_allowed_updates(p.get("allowed_updates"))
        if flag(p, "drop_pending_updates"):
            for update in self._updates:
                self._drop_update(update)
            self._updates.clear()
        self._webhook = {
            "url": url,
            "max_connections": opt_int(p, "max_connections", 40),
            "has_secret_token": bool(p.get("secret_token")),
        }
        return True

    @api("deleteWebhook")
    def _delete_webhook(self, p: Params) -> Any:
        """Remove the webhook; optionally drop pending updates."""
        self._webhook = {"url": ""}
        if flag(p, "drop_pending_updates"):
            for update in self._updates:
                self._drop_update(update)
            self._updates.clear()
            self._notify()
        return True

    @api("getWebhookInfo")
    def _get_webhook_info(self, p: Params) -> Any:
        """Return WebhookInfo."""
        info: dict[str, Any] = {
            "url": self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook["url"]:
            info["max_connections"] = self._webhook.get("max_connections", 40)
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    @api("logOut")
    def _log_out(self, p: Params) -> Any:
        """Pretend to log out from the cloud Bot API server."""
        return True

    @api("close")
    def _close(self, p: Params) -> Any:
        """Pretend to close the bot instance."""
        return True

    # ----------------------------------------------------------------- bot settings

    @staticmethod
    def _scope_key(p: Params) -> tuple[str, int | None, int | None, str]:
        """Return the storage key of a (scope, language_code) pair."""
        scope = p.get("scope")
        language = str(p.get("language_code") or "")
        if scope in (None, ""):
            return ("default", None, None, language)
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("Bad Request: can't parse BotCommandScope JSON object")
        chat_id = scope.get("chat_id")
        user_id = scope.get("user_id")
        return (
            scope["type"],
            int(chat_id) if isinstance(chat_id, int | str) and str(chat_id).lstrip("-").isdigit() else None,
            int(user_id) if user_id is not None else None,
            language,
        )

    @api("setMyCommands")
    def _set_my_commands(self, p: Params) -> Any:
        """Store the command list of a scope and language."""
        commands = p.get("commands")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise bad_request("Bad Request: can't parse commands JSON object")
        if len(commands) > BotCommandLimit.MAX_COMMAND_NUMBER:
            raise bad_request(ERR_TOO_MANY_COMMANDS)
        stored: list[dict[str, str]] = []
        for item in commands:
            command = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", ""))
            if not BotCommandLimit.MIN_COMMAND <= len(command) <= BotCommandLimit.MAX_COMMAND or not (
                _COMMAND_RE.match(command)
            ):
                raise bad_request(ERR_COMMAND_INVALID)
            if not BotCommandLimit.MIN_DESCRIPTION <= len(description.strip()) <= BotCommandLimit.MAX_DESCRIPTION:
                raise bad_request(ERR_COMMAND_DESCRIPTION_INVALID)
            stored.append({"command": command, "description": description})
        key = self._scope_key(p)
        if stored:
            self._commands[key] = stored
        else:
            self._commands.pop(key, None)
        return True

    @api("getMyCommands")
    def _get_my_commands(self, p: Params) -> Any:
        """Return the command list of a scope and language (exact match, like Telegram)."""
        return [dict(c) for c in self._commands.get(self._scope_key(p), [])]

    @api("deleteMyCommands")
    def _delete_my_commands(self, p: Params) -> Any:
        """Delete the command list of a scope and language."""
        self._commands.pop(self._scope_key(p), None)
        return True

    @staticmethod
    def _set_text(store: dict[str, str], p: Params, name: str, limit: int, error: str) -> Any:
        """Store a per-language bot text (empty removes it)."""
        value = str(p.get(name) or "")
        if len(value) > limit:
            raise bad_request(error)
        language = str(p.get("language_code") or "")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    @api("setMyDescription")
    def _set_my_description(self, p: Params) -> Any:
        """Set the bot description for a language."""
        return self._set_text(
            self._descriptions,
            p,
            "description",
            BotDescriptionLimit.MAX_DESCRIPTION_LENGTH,
            ERR_DESCRIPTION_TOO_LONG,
        )

    @api("getMyDescription")
    def _get_my_description(self, p: Params) -> Any:
        """Return the bot description for a language."""
        return {"description": self._descriptions.get(str(p.get("language_code") or ""), "")}

    @api("setMyShortDescription")
    def _set_my_short_description(self, p: Params) -> Any:
        """Set the bot short description for a language."""
        return self._set_text(
            self._short_descriptions,
            p,
            "short_description",
            BotDescriptionLimit.MAX_SHORT_DESCRIPTION_LENGTH,
            ERR_SHORT_DESCRIPTION_TOO_LONG,
        )

    @api("getMyShortDescription")
    def _get_my_short_description(self, p: Params) -> Any:
        """Return the bot short description for a language."""
        return {"short_description": self._short_descriptions.get(str(p.get("language_code") or ""), "")}

    @api("setMyName")
    def _set_my_name(self, p: Params) -> Any:
        """Set the bot name for a language."""
        return self._set_text(self._names, p, "name", BotNameLimit.MAX_NAME_LENGTH, ERR_NAME_TOO_LONG)

    @api("getMyName")
    def _get_my_name(self, p: Params) -> Any:
        """Return the bot name for a language (the default name when none is set)."""
        language = str(p.get("language_code") or "")
        return {"name": self._names.get(language, self.bot_name if not language else "")}

    @api("setChatMenuButton")
    def _set_chat_menu_button(self, p: Params) -> Any:
        """Store the menu button of a chat (or the default one)."""
        chat_id = self._chat(p.get("chat_id")).id if p.get("chat_id") not in (None, "") else None
        button = p.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict):
            raise bad_request("Bad Request: can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button
        return True

    @api("getChatMenuButton")
    def _get_chat_menu_button(self, p: Params) -> Any:
        """Return the menu button of a chat (or the default one)."""
        chat_id = self._chat(p.get("chat_id")).id if p.get("chat_id") not in (None, "") else None
        return self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}

    # ----------------------------------------------------------------- misc

    @api("sendChatAction")
    def _send_chat_action(self, p: Params) -> Any:
        """Record a chat action ("typing"...)."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        action = str(p.get("action") or "")
        if action not in _CHAT_ACTIONS:
            raise bad_request(ERR_BAD_ACTION)
        view = self._views.get(chat.id)
        if view is not None:
            view.chat_actions.append(action)
        return True

    @api("getChat")
    def _get_chat(self, p: Params) -> Any:
        """Return ChatFullInfo."""
        chat = self._chat(p.get("chat_id"))
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    @api("getFile")
    def _get_file(self, p: Params) -> Any:
        """Return a File whose file_path is served under base_file_url."""
        file = self._files.get(str(p.get("file_id") or ""))
        if file is None:
            raise bad_request(ERR_INVALID_FILE_ID)
        data: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.size:
            data["file_size"] = file.size
        if file.content is not None:
            data["file_path"] = file.file_path
        return data

    def _file_content(self, path: str) -> bytes | None:
        """Return the bytes served at a file_path, if known."""
        for file in self._files.values():
            if file.file_path == path:
                return file.content
        return None
