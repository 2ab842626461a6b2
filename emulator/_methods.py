"""Messaging Bot API methods of the emulator: sending, editing, deleting, answering queries."""

from __future__ import annotations

import logging
import time
import zlib
from typing import Any

from aiohttp.web import FileField
from telegram.constants import (
    CallbackQueryLimit,
    InlineQueryLimit,
    InlineQueryResultLimit,
)

from ._core import Params, StoredFile
from ._models import (
    ERR_ANSWER_TOO_LONG,
    ERR_CANT_DELETE,
    ERR_CANT_EDIT,
    ERR_COPY_NOT_FOUND,
    ERR_DELETE_NOT_FOUND,
    ERR_EDIT_NOT_FOUND,
    ERR_FILE_EMPTY,
    ERR_NO_TEXT_TO_EDIT,
    ERR_NOT_MODIFIED,
    ERR_QUERY_INVALID,
    ERR_REPLY_NOT_FOUND,
    ERR_RESULT_ID_DUPLICATE,
    ERR_RESULT_ID_INVALID,
    ERR_RESULTS_TOO_MUCH,
    ERR_WRONG_FILE,
    CallbackAnswer,
    ChatState,
    EmulatedMessage,
    InlineAnswer,
    bad_request,
)
from ._params import API_METHODS, api, flag, inline_part, int_param
from ._settings import ServiceMethods
from ._validation import checked_markup, formatted

__all__ = ["API_METHODS", "BotMethods"]

logger = logging.getLogger(__name__)


class BotMethods(ServiceMethods):
    """All emulated Bot API methods; each takes decoded parameters and returns the JSON result."""

    # ----------------------------------------------------------------- sending

    def _reply_to(self, chat: ChatState, p: Params) -> int | None:
        """Resolve reply_parameters / reply_to_message_id; raise if the target is missing."""
        allow = flag(p, "allow_sending_without_reply")
        params = p.get("reply_parameters")
        message_id: int | None = None
        if isinstance(params, dict) and params.get("message_id") is not None:
            message_id = int(params["message_id"])
            allow = bool(params.get("allow_sending_without_reply", allow))
        elif p.get("reply_to_message_id") not in (None, ""):
            message_id = int_param(p, "reply_to_message_id")
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
            "reply_markup": checked_markup(p.get("reply_markup")),
            "protect_content": flag(p, "protect_content"),
            "disable_notification": flag(p, "disable_notification"),
            "reply_to_message_id": self._reply_to(chat, p),
        }

    @api("sendMessage")
    def _send_message(self, p: Params) -> Any:
        """Send a text message."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        text, entities, html = formatted(p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False)
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
        """Return the Bot API object describing a photo or a document."""
        base: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.size:
            base["file_size"] = file.size
        if kind == "photo":
            small = {**base, "file_id": f"{file.file_id}-s", "file_unique_id": f"{file.file_unique_id}-s"}
            return [{**small, "width": 90, "height": 90}, {**base, "width": 800, "height": 800}]
        if file.file_name:
            base["file_name"] = file.file_name
        if file.mime_type:
            base["mime_type"] = file.mime_type
        return base

    def _send_media(self, p: Params, kind: str) -> Any:
        """Send a photo or a document."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        file = self._input_file(kind, p.get(kind), chat)
        caption, entities, html = formatted(
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

    def _source(self, p: Params, not_found: str) -> tuple[ChatState, EmulatedMessage | None]:
        """Resolve from_chat_id/message_id of copyMessage."""
        source_chat = self._chat(p.get("from_chat_id"))
        message_id = int_param(p, "message_id")
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
            caption, entities, html = formatted(
                p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
            fields.update(caption=caption or None, caption_entities=entities, html=html)
        fields.update(self._common(chat, p))
        result = self._deliver(chat, fields)
        return {"message_id": result["message_id"]}

    # ----------------------------------------------------------------- editing & deleting

    def _editable(self, p: Params) -> tuple[ChatState, EmulatedMessage | None]:
        """Resolve the message an edit refers to (None for chats without history)."""
        chat = self._chat(p.get("chat_id"))
        self._check_blocked(chat)
        message_id = int_param(p, "message_id")
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
                message_id=int_param(p, "message_id"),
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
        text, entities, html = formatted(p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False)
        markup = inline_part(checked_markup(p.get("reply_markup")))
        if p.get("inline_message_id"):
            return True
        chat, msg = self._editable(p)
        if msg is not None:
            if msg.text is None:
                raise bad_request(ERR_NO_TEXT_TO_EDIT)
            if msg.text == text and msg.entities == entities and inline_part(msg.reply_markup) == markup:
                raise bad_request(ERR_NOT_MODIFIED)
        return self._edited(chat, msg, p, {"text": text, "entities": entities, "html": html, "reply_markup": markup})

    @api("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: Params) -> Any:
        """Replace (or remove) the inline keyboard of a bot message."""
        markup = inline_part(checked_markup(p.get("reply_markup")))
        if p.get("inline_message_id"):
            return True
        chat, msg = self._editable(p)
        if msg is not None and inline_part(msg.reply_markup) == markup:
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
        self._delete(self._chat(p.get("chat_id")), int_param(p, "message_id"))
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
            show_alert=flag(p, "show_alert"),
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
            checked_markup(result.get("reply_markup"))
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                formatted(content["message_text"], content.get("parse_mode"), content.get("entities"), caption=False)
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
            cache_time=None if p.get("cache_time") is None else int_param(p, "cache_time"),
            is_personal=flag(p, "is_personal"),
            next_offset=None if p.get("next_offset") is None else str(p.get("next_offset")),
        )
        view = self._views.get(query.user_id)
        if view is not None:
            view.inline_answers.append(answer)
        self._touch(*(c for c in (query.user_id,) if self._is_current(c, query.action_seq)))
        return True
