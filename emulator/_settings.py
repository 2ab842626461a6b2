"""Service Bot API methods of the emulator: polling, webhooks and the bot's commands and descriptions."""

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
    PollingLimit,
)

from ._core import EmulatorCore, Params
from ._models import (
    ERR_COMMAND_DESCRIPTION_INVALID,
    ERR_COMMAND_INVALID,
    ERR_CONFLICT_POLL,
    ERR_CONFLICT_WEBHOOK,
    ERR_DESCRIPTION_TOO_LONG,
    ERR_SHORT_DESCRIPTION_TOO_LONG,
    ERR_TOO_MANY_COMMANDS,
    ApiError,
    bad_request,
)
from ._params import api, flag, opt_int

__all__ = ["ServiceMethods"]

logger = logging.getLogger(__name__)

_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]+$")


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
