"""Bot API method implementations of the emulator (validation and state changes, no HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
import zlib
from collections.abc import Callable
from typing import Any, Final, TypeVar

from aiohttp.web import FileField
from telegram.constants import (
    BotCommandLimit,
    BotDescriptionLimit,
    BotNameLimit,
    CallbackQueryLimit,
    ChatAction,
    InlineQueryLimit,
    InlineQueryResultLimit,
    PollingLimit,
)

from ._core import EmulatorCore, Params, StoredFile
from ._models import (
    ERR_ANSWER_TOO_LONG,
    ERR_BAD_ACTION,
    ERR_CANT_DELETE,
    ERR_CANT_EDIT,
    ERR_COMMAND_DESCRIPTION_INVALID,
    ERR_COMMAND_INVALID,
    ERR_CONFLICT_POLL,
    ERR_CONFLICT_WEBHOOK,
    ERR_COPY_NOT_FOUND,
    ERR_DELETE_NOT_FOUND,
    ERR_DESCRIPTION_TOO_LONG,
    ERR_EDIT_NOT_FOUND,
    ERR_FILE_EMPTY,
    ERR_FORWARD_NOT_FOUND,
    ERR_INVALID_FILE_ID,
    ERR_NAME_TOO_LONG,
    ERR_NO_CAPTION_TO_EDIT,
    ERR_NO_TEXT_TO_EDIT,
    ERR_NOT_MODIFIED,
    ERR_QUERY_INVALID,
    ERR_REPLY_NOT_FOUND,
    ERR_RESULT_ID_DUPLICATE,
    ERR_RESULT_ID_INVALID,
    ERR_RESULTS_TOO_MUCH,
    ERR_SHORT_DESCRIPTION_TOO_LONG,
    ERR_TOO_MANY_COMMANDS,
    ERR_WRONG_FILE,
    ApiError,
    CallbackAnswer,
    ChatState,
    EmulatedMessage,
    InlineAnswer,
    bad_request,
)

__all__ = ["API_METHODS", "MEDIA_METHODS", "BotMethods"]

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Params], Any]
_F = TypeVar("_F", bound=Handler)

# lower-cased method name -> (canonical name, implementation)
API_METHODS: dict[str, tuple[str, Handler]] = {}
MEDIA_METHODS: Final = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
}
_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]+$")
_CHAT_ACTIONS: Final = frozenset(a.value for a in ChatAction)


def api(name: str) -> Callable[[_F], _F]:
    """Register a method implementation under its Bot API name (matched case-insensitively)."""

    def register(fn: _F) -> _F:
        API_METHODS[name.lower()] = (name, fn)
        return fn

    return register


def _int(p: Params, name: str) -> int:
    """Return a required integer parameter or raise Telegram's 400."""
    value = p.get(name)
    if value is None or value == "":
        raise bad_request(f"Bad Request: {name} is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Bad Request: invalid {name} specified") from None


def _opt_int(p: Params, name: str, default: int) -> int:
    """Return an optional integer parameter."""
    return default if p.get(name) in (None, "") else _int(p, name)


def _flag(p: Params, name: str) -> bool:
    """Return a boolean parameter (accepting JSON and form encodings)."""
    value = p.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _inline_part(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the markup if it is an inline keyboard (the part Telegram compares on edits)."""
    return markup if markup and "inline_keyboard" in markup else None


class BotMethods(EmulatorCore):
    """The Bot API methods; each takes decoded parameters and returns the JSON result."""

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
        limit = min(max(_opt_int(p, "limit", PollingLimit.MAX_LIMIT), PollingLimit.MIN_LIMIT), PollingLimit.MAX_LIMIT)
        try:
            timeout = float(p.get("timeout") or 0)
        except (TypeError, ValueError):
            raise bad_request("Bad Request: invalid timeout specified") from None
        self._confirm(_opt_int(p, "offset", 0))
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
        if _flag(p, "drop_pending_updates"):
            for update in self._updates:
                self._drop_update(update)
            self._updates.clear()
        self._webhook = {
            "url": url,
            "max_connections": _opt_int(p, "max_connections", 40),
            "has_secret_token": bool(p.get("secret_token")),
        }
        return True

    @api("deleteWebhook")
    def _delete_webhook(self, p: Params) -> Any:
        """Remove the webhook; optionally drop pending updates."""
        self._webhook = {"url": ""}
        if _flag(p, "drop_pending_updates"):
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

    # ----------------------------------------------------------------- sending

    def _reply_to(self, chat: ChatState, p: Params) -> int | None:
        """Resolve reply_parameters / reply_to_message_id; raise if the target is missing."""
        allow = _flag(p, "allow_sending_without_reply")
        params = p.get("reply_parameters")
        message_id: int | None = None
        if isinstance(params, dict) and params.get("message_id") is not None:
            message_id = int(params["message_id"])
            allow = bool(params.get("allow_sending_without_reply", allow))
        elif p.get("reply_to_message_id") not in (None, ""):
            message_id = _int(p, "reply_to_message_id")
        if message_id is None:
            return None
        if self._find(chat, message_id) is not None or self._exists_untracked(chat, message_id):
            return message_id
        if allow:
            return None
        raise bad_request(ERR_REPLY_NOT_FOUND)

    def _common(self, chat: ChatState, p: Params) -> dict[str, Any]:
        """Return the message fields shared by all sending methods."""
        return {
            "reply_markup": self._markup(p.get("reply_markup")),
            "protect_content": _flag(p, "protect_content"),
            "disable_notification": _flag(p, "disable_notification"),
            "reply_to_message_id": self._reply_to(chat, p),
        }

    @api("sendMessage")
    def _send_message(self, p: Params) -> Any:
        """Send a text message."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        text, entities, html = self._formatted(p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False)
        fields = self._common(chat, p)
        return self._deliver(chat, {"text": text, "html": html, "entities": entities, **fields})

    def _input_file(self, kind: str, value: Any, chat: ChatState) -> StoredFile:
        """Resolve an uploaded file, a known file_id or a URL into a file record."""
        if isinstance(value, FileField):
            content = value.file.read()
            if not content:
                raise bad_request(ERR_FILE_EMPTY)
            return self._new_file(
                kind,
                content if chat.messages is not None else None,
                size=len(content),
                file_name=value.filename,
                mime_type=value.content_type,
            )
        text = "" if value is None else str(value).strip()
        if not text:
            raise bad_request(f"Bad Request: there is no {kind} in the request")
        known = self._files.get(text)
        if known is not None:
            if known.kind != kind and {known.kind, kind} != {"photo", "document"}:
                raise bad_request(
                    f"Bad Request: can't use file of type {known.kind.capitalize()} as {kind.capitalize()}"
                )
            return known
        if text.startswith(("http://", "https://")):
            return self._new_file(kind, None, file_name=text.rsplit("/", 1)[-1] or None)
        if any(c.isspace() for c in text) or len(text) < 8:
            raise bad_request(ERR_WRONG_FILE)
        file = StoredFile(
            file_id=text,
            file_unique_id=f"AQAD{zlib.crc32(text.encode()):010d}",
            kind=kind,
            size=0,
            content=None,
        )
        self._files[text] = file
        return file

    @staticmethod
    def _media_json(kind: str, file: StoredFile) -> Any:
        """Return the Bot API object describing a media file of ``kind``."""
        base: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.size:
            base["file_size"] = file.size
        if kind == "photo":
            small = {**base, "file_id": f"{file.file_id}-s", "file_unique_id": f"{file.file_unique_id}-s"}
            return [{**small, "width": 90, "height": 90}, {**base, "width": 800, "height": 800}]
        if kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        if kind in ("video", "animation"):
            return {**base, "width": 640, "height": 360, "duration": 1}
        if kind in ("audio", "voice"):
            base["duration"] = 1
        if file.file_name and kind in ("document", "audio", "video", "animation"):
            base["file_name"] = file.file_name
        if file.mime_type and kind != "photo":
            base["mime_type"] = file.mime_type
        return base

    def _send_media(self, p: Params, kind: str) -> Any:
        """Send a photo/document/other media message."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        file = self._input_file(kind, p.get(kind), chat)
        caption, entities, html = self._formatted(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        fields = self._common(chat, p)
        return self._deliver(
            chat,
            {
                "media": kind,
                "file_id": file.file_id,
                "caption": caption or None,
                "caption_entities": entities,
                "html": html,
                "extra": {kind: self._media_json(kind, file)},
                **fields,
            },
        )

    @api("sendPhoto")
    def _send_photo(self, p: Params) -> Any:
        """Send a photo."""
        return self._send_media(p, "photo")

    @api("sendDocument")
    def _send_document(self, p: Params) -> Any:
        """Send a document."""
        return self._send_media(p, "document")

    @api("sendVideo")
    def _send_video(self, p: Params) -> Any:
        """Send a video."""
        return self._send_media(p, "video")

    @api("sendAudio")
    def _send_audio(self, p: Params) -> Any:
        """Send an audio file."""
        return self._send_media(p, "audio")

    @api("sendVoice")
    def _send_voice(self, p: Params) -> Any:
        """Send a voice note."""
        return self._send_media(p, "voice")

    @api("sendAnimation")
    def _send_animation(self, p: Params) -> Any:
        """Send an animation."""
        return self._send_media(p, "animation")

    @api("sendSticker")
    def _send_sticker(self, p: Params) -> Any:
        """Send a sticker."""
        return self._send_media(p, "sticker")

    def _source(self, p: Params, not_found: str) -> tuple[ChatState, EmulatedMessage | None]:
        """Resolve from_chat_id/message_id of copyMessage/forwardMessage."""
        source_chat = self._chat(p.get("from_chat_id"))
        message_id = _int(p, "message_id")
        source = self._find(source_chat, message_id)
        if source is None and not self._exists_untracked(source_chat, message_id):
            raise bad_request(not_found)
        return source_chat, source

    @staticmethod
    def _content(msg: EmulatedMessage | None) -> dict[str, Any]:
        """Return the copyable content fields of a message."""
        if msg is None:
            return {}
        return {
            "text": msg.text,
            "html": msg.html,
            "entities": list(msg.entities),
            "media": msg.media,
            "caption": msg.caption,
            "caption_entities": list(msg.caption_entities),
            "file_id": msg.file_id,
            "extra": dict(msg.extra),
        }

    @api("copyMessage")
    def _copy_message(self, p: Params) -> Any:
        """Copy a message into another chat; return its MessageId."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        _, source = self._source(p, ERR_COPY_NOT_FOUND)
        fields = self._content(source)
        if "extra" in fields:
            fields["extra"] = {k: v for k, v in fields["extra"].items() if k != "forward_origin"}
        if p.get("caption") is not None and source is not None and source.media is not None:
            caption, entities, html = self._formatted(
                p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
            fields.update(caption=caption or None, caption_entities=entities, html=html)
        fields.update(self._common(chat, p))
        result = self._deliver(chat, fields)
        return {"message_id": result["message_id"]}

    @api("forwardMessage")
    def _forward_message(self, p: Params) -> Any:
        """Forward a message into another chat."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        source_chat, source = self._source(p, ERR_FORWARD_NOT_FOUND)
        fields = self._content(source)
        origin: dict[str, Any] = {"date": source.date if source else int(time.time())}
        if source_chat.type == "private":
            sender = self.bot_id if source is None or source.from_bot else source.sender_id
            origin.update(type="user", sender_user=self._user_json(sender))
        else:
            origin.update(type="chat", sender_chat=source_chat.to_json())
        fields["extra"] = {**fields.get("extra", {}), "forward_origin": origin}
        fields.update(
            protect_content=_flag(p, "protect_content"), disable_notification=_flag(p, "disable_notification")
        )
        return self._deliver(chat, fields)

    # ----------------------------------------------------------------- editing & deleting

    def _editable(self, p: Params) -> tuple[ChatState, EmulatedMessage | None]:
        """Resolve the message an edit refers to (None for chats without history)."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        message_id = _int(p, "message_id")
        msg = self._find(chat, message_id)
        if msg is None:
            if self._exists_untracked(chat, message_id):
                if (chat.id, message_id) in self._too_old:
                    raise bad_request(ERR_CANT_EDIT)
                return chat, None
            raise bad_request(ERR_EDIT_NOT_FOUND)
        if not msg.from_bot or (chat.id, message_id) in self._too_old:
            raise bad_request(ERR_CANT_EDIT)
        return chat, msg

    def _edited(self, chat: ChatState, msg: EmulatedMessage | None, p: Params, fields: dict[str, Any]) -> Any:
        """Apply edited fields, mark the message edited and return it as Message JSON."""
        if msg is None:
            msg = EmulatedMessage(
                message_id=_int(p, "message_id"),
                chat_id=chat.id,
                sender_id=self.bot_id,
                from_bot=True,
                date=int(time.time()),
            )
        for name, value in fields.items():
            setattr(msg, name, value)
        msg.edited += 1
        msg.edit_date = int(time.time())
        self._touch(chat.id, message=msg, event="edited")
        return self._message_json(msg, chat)

    @api("editMessageText")
    def _edit_message_text(self, p: Params) -> Any:
        """Edit the text (and inline keyboard) of a bot message."""
        text, entities, html = self._formatted(p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False)
        markup = _inline_part(self._markup(p.get("reply_markup")))
        if p.get("inline_message_id"):
            return True
        chat, msg = self._editable(p)
        if msg is not None:
            if msg.text is None:
                raise bad_request(ERR_NO_TEXT_TO_EDIT)
            if msg.text == text and msg.entities == entities and _inline_part(msg.reply_markup) == markup:
                raise bad_request(ERR_NOT_MODIFIED)
        return self._edited(chat, msg, p, {"text": text, "entities": entities, "html": html, "reply_markup": markup})

    @api("editMessageCaption")
    def _edit_message_caption(self, p: Params) -> Any:
        """Edit the caption (and inline keyboard) of a bot media message."""
        caption, entities, html = self._formatted(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        markup = _inline_part(self._markup(p.get("reply_markup")))
        if p.get("inline_message_id"):
            return True
        chat, msg = self._editable(p)
        new_caption = caption or None
        if msg is not None:
            if msg.media is None:
                raise bad_request(ERR_NO_CAPTION_TO_EDIT)
            same = msg.caption == new_caption and msg.caption_entities == entities
            if same and _inline_part(msg.reply_markup) == markup:
                raise bad_request(ERR_NOT_MODIFIED)
        fields = {"caption": new_caption, "caption_entities": entities, "html": html, "reply_markup": markup}
        return self._edited(chat, msg, p, fields)

    @api("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: Params) -> Any:
        """Replace (or remove) the inline keyboard of a bot message."""
        markup = _inline_part(self._markup(p.get("reply_markup")))
        if p.get("inline_message_id"):
            return True
        chat, msg = self._editable(p)
        if msg is not None and _inline_part(msg.reply_markup) == markup:
            raise bad_request(ERR_NOT_MODIFIED)
        return self._edited(chat, msg, p, {"reply_markup": markup})

    def _delete(self, chat: ChatState, message_id: int) -> None:
        """Delete one message or raise Telegram's error."""
        msg = self._find(chat, message_id)
        if msg is None and not self._exists_untracked(chat, message_id):
            raise bad_request(ERR_DELETE_NOT_FOUND)
        if (chat.id, message_id) in self._too_old:
            raise bad_request(ERR_CANT_DELETE)
        if msg is not None:
            msg.deleted = True
        self._touch(chat.id, message=msg, event="deleted")

    @api("deleteMessage")
    def _delete_message(self, p: Params) -> Any:
        """Delete a message."""
        self._delete(self._chat(p.get("chat_id")), _int(p, "message_id"))
        return True

    @api("deleteMessages")
    def _delete_messages(self, p: Params) -> Any:
        """Delete several messages, skipping those that cannot be found."""
        chat = self._chat(p.get("chat_id"))
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("Bad Request: message_ids is empty")
        for message_id in ids:
            try:
                self._delete(chat, int(message_id))
            except ApiError:
                continue
        return True

    # ----------------------------------------------------------------- queries

    @api("answerCallbackQuery")
    def _answer_callback_query(self, p: Params) -> Any:
        """Record the answer to a callback query."""
        query_id = str(p.get("callback_query_id") or "")
        text = p.get("text")
        if text is not None and len(str(text)) > CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH:
            raise bad_request(ERR_ANSWER_TOO_LONG)
        query = self._callback_queries.pop(query_id, None)
        if query is None:
            raise bad_request(ERR_QUERY_INVALID)
        answer = CallbackAnswer(
            query_id=query_id,
            data=query.data,
            text=None if text is None else str(text),
            show_alert=_flag(p, "show_alert"),
            url=p.get("url"),
        )
        for chat_id in {query.user_id, query.chat_id}:
            view = self._views.get(chat_id) if chat_id is not None else None
            if view is not None:
                view.callback_answers.append(answer)
        self._touch(*(c for c in (query.user_id, query.chat_id) if self._is_current(c, query.action_seq)))
        return True

    def _check_inline_results(self, results: Any) -> list[dict[str, Any]]:
        """Validate answerInlineQuery results like Telegram does."""
        if results in (None, ""):
            results = []
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise bad_request("Bad Request: can't parse inline query results JSON object")
        if len(results) > InlineQueryLimit.RESULTS:
            raise bad_request(ERR_RESULTS_TOO_MUCH)
        seen: set[str] = set()
        for result in results:
            result_id = str(result.get("id", ""))
            size = len(result_id.encode("utf-8"))
            if not InlineQueryResultLimit.MIN_ID_LENGTH <= size <= InlineQueryResultLimit.MAX_ID_LENGTH:
                raise bad_request(ERR_RESULT_ID_INVALID)
            if result_id in seen:
                raise bad_request(ERR_RESULT_ID_DUPLICATE)
            seen.add(result_id)
            self._markup(result.get("reply_markup"))
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._formatted(
                    content["message_text"], content.get("parse_mode"), content.get("entities"), caption=False
                )
        return results

    @api("answerInlineQuery")
    def _answer_inline_query(self, p: Params) -> Any:
        """Record the answer to an inline query."""
        query_id = str(p.get("inline_query_id") or "")
        results = self._check_inline_results(p.get("results"))
        query = self._inline_queries.pop(query_id, None)
        if query is None:
            raise bad_request(ERR_QUERY_INVALID)
        answer = InlineAnswer(
            query_id=query_id,
            query=query.query or "",
            results=results,
            cache_time=None if p.get("cache_time") is None else _int(p, "cache_time"),
            is_personal=_flag(p, "is_personal"),
            next_offset=None if p.get("next_offset") is None else str(p.get("next_offset")),
        )
        view = self._views.get(query.user_id)
        if view is not None:
            view.inline_answers.append(answer)
        self._touch(*(c for c in (query.user_id,) if self._is_current(c, query.action_seq)))
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
