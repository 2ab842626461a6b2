"""Plain data objects of the Bot API emulator: messages, chats, faults, statistics, errors."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "FAULT_KINDS",
    "ApiError",
    "CallRecord",
    "CallbackAnswer",
    "ChatState",
    "EmulatedMessage",
    "EmulatorStats",
    "Fault",
    "FaultKind",
    "InlineAnswer",
]

logger = logging.getLogger(__name__)

FaultKind = Literal["429", "403", "403_deactivated", "400_chat_not_found", "500", "502", "timeout"]
FAULT_KINDS: Final[frozenset[str]] = frozenset(
    {"429", "403", "403_deactivated", "400_chat_not_found", "500", "502", "timeout"}
)

# Telegram's own error descriptions.
ERR_UNAUTHORIZED: Final = "Unauthorized"
ERR_NOT_FOUND: Final = "Not Found"
ERR_CHAT_NOT_FOUND: Final = "Bad Request: chat not found"
ERR_TEXT_EMPTY: Final = "Bad Request: message text is empty"
ERR_TEXT_TOO_LONG: Final = "Bad Request: message is too long"
ERR_CAPTION_TOO_LONG: Final = "Bad Request: message caption is too long"
ERR_BUTTON_DATA: Final = "Bad Request: BUTTON_DATA_INVALID"
ERR_BUTTON_URL: Final = "Bad Request: BUTTON_URL_INVALID"
ERR_MARKUP_TOO_LONG: Final = "Bad Request: REPLY_MARKUP_TOO_LONG"
ERR_TEXT_BUTTON: Final = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)
ERR_PARSE_ENTITIES: Final = "Bad Request: can't parse entities: "
ERR_UNSUPPORTED_PARSE_MODE: Final = "Bad Request: unsupported parse_mode"
ERR_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
ERR_EDIT_NOT_FOUND: Final = "Bad Request: message to edit not found"
ERR_CANT_EDIT: Final = "Bad Request: message can't be edited"
ERR_NO_TEXT_TO_EDIT: Final = "Bad Request: there is no text in the message to edit"
ERR_DELETE_NOT_FOUND: Final = "Bad Request: message to delete not found"
ERR_CANT_DELETE: Final = "Bad Request: message can't be deleted"
ERR_COPY_NOT_FOUND: Final = "Bad Request: message to copy not found"
ERR_REPLY_NOT_FOUND: Final = "Bad Request: message to be replied not found"
ERR_QUERY_INVALID: Final = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ERR_ANSWER_TOO_LONG: Final = "Bad Request: MESSAGE_TOO_LONG"
ERR_RESULTS_TOO_MUCH: Final = "Bad Request: RESULTS_TOO_MUCH"
ERR_RESULT_ID_DUPLICATE: Final = "Bad Request: RESULT_ID_DUPLICATE"
ERR_RESULT_ID_INVALID: Final = "Bad Request: RESULT_ID_INVALID"
ERR_BLOCKED: Final = "Forbidden: bot was blocked by the user"
ERR_DEACTIVATED: Final = "Forbidden: user is deactivated"
ERR_TOO_MANY: Final = "Too Many Requests: retry after {}"
ERR_INTERNAL: Final = "Internal Server Error"
ERR_BAD_GATEWAY_HTML: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)
ERR_CONFLICT_POLL: Final = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
ERR_CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
ERR_WRONG_FILE: Final = "Bad Request: wrong file identifier/HTTP URL specified"
ERR_FILE_EMPTY: Final = "Bad Request: file must be non-empty"
ERR_COMMAND_INVALID: Final = "Bad Request: BOT_COMMAND_INVALID"
ERR_COMMAND_DESCRIPTION_INVALID: Final = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
ERR_TOO_MANY_COMMANDS: Final = "Bad Request: too many commands"
ERR_DESCRIPTION_TOO_LONG: Final = "Bad Request: description is too long"
ERR_SHORT_DESCRIPTION_TOO_LONG: Final = "Bad Request: short description is too long"


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional retry_after."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    """Build a 400 error."""
    return ApiError(400, description)


class EmulatedMessage:
    """One message in a chat's history, as a test sees it (plain text, HTML as sent, buttons...)."""

    __slots__ = (
        "_touched",
        "caption",
        "caption_entities",
        "chat_id",
        "date",
        "deleted",
        "disable_notification",
        "edit_date",
        "edited",
        "entities",
        "extra",
        "file_id",
        "from_bot",
        "html",
        "media",
        "message_id",
        "protect_content",
        "reply_markup",
        "reply_to_message_id",
        "sender_id",
        "text",
    )

    def __init__(
        self,
        *,
        message_id: int,
        chat_id: int,
        sender_id: int,
        from_bot: bool,
        date: int,
        text: str | None = None,
        html: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        media: str | None = None,
        caption: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        file_id: str | None = None,
        reply_markup: dict[str, Any] | None = None,
        protect_content: bool = False,
        disable_notification: bool = False,
        reply_to_message_id: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message_id = message_id
        self.chat_id = chat_id
        self.sender_id = sender_id
        self.from_bot = from_bot
        self.date = date
        self.text = text
        self.html = html
        self.entities: list[dict[str, Any]] = entities or []
        self.media = media
        self.caption = caption
        self.caption_entities: list[dict[str, Any]] = caption_entities or []
        self.file_id = file_id
        self.reply_markup = reply_markup
        self.protect_content = protect_content
        self.disable_notification = disable_notification
        self.reply_to_message_id = reply_to_message_id
        self.extra: dict[str, Any] = extra or {}
        self.edited = 0
        self.edit_date: int | None = None
        self.deleted = False
        self._touched = 0

    @property
    def content(self) -> str | None:
        """Return the text, or the caption for media messages."""
        return self.text if self.text is not None else self.caption

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Return the inline keyboard as rows of (text, callback_data or url or other action value)."""
        markup = self.reply_markup or {}
        rows: list[list[tuple[str, str | None]]] = []
        for row in markup.get("inline_keyboard", []):
            rows.append([(str(b.get("text", "")), _button_value(b)) for b in row])
        return rows

    @property
    def button_texts(self) -> list[str]:
        """Return the inline keyboard's button texts in row-major order."""
        return [text for row in self.buttons for text, _ in row]

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Return the texts of a ReplyKeyboardMarkup attached to the message (empty if none)."""
        markup = self.reply_markup or {}
        return [
            [str(b.get("text", "")) if isinstance(b, dict) else str(b) for b in row]
            for row in markup.get("keyboard", [])
        ]

    def __repr__(self) -> str:
        """Return a compact debug representation."""
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        flags = "".join([" deleted" if self.deleted else "", f" edited={self.edited}" if self.edited else ""])
        body = self.text if self.text is not None else f"<{self.media}> {self.caption or ''}"
        return f"<EmulatedMessage #{self.message_id} from {who}{flags}: {body!r} buttons={self.button_texts}>"


def _button_value(button: dict[str, Any]) -> str | None:
    """Return the action value of an inline button (callback_data, url, ...)."""
    for key in ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat"):
        if key in button:
            return str(button[key])
    for key in ("web_app", "login_url"):
        if isinstance(button.get(key), dict):
            return str(button[key].get("url"))
    if isinstance(button.get("copy_text"), dict):
        return str(button["copy_text"].get("text"))
    return None


class ChatState:
    """Server-side state of one chat; deliberately small so 10,000+ bulk chats stay cheap."""

    __slots__ = (
        "first_name",
        "forbidden",
        "id",
        "language_code",
        "last_name",
        "messages",
        "next_message_id",
        "title",
        "type",
        "username",
    )

    def __init__(
        self,
        chat_id: int,
        chat_type: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        title: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        keep_history: bool = True,
    ) -> None:
        self.id = chat_id
        self.type = chat_type
        self.first_name = first_name
        self.last_name = last_name
        self.title = title
        self.username = username
        self.language_code = language_code
        self.forbidden: str | None = None
        self.next_message_id = 1
        self.messages: dict[int, EmulatedMessage] | None = {} if keep_history else None

    def to_json(self) -> dict[str, Any]:
        """Return the Chat object as Telegram serialises it inside a Message."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        return data

    def user_json(self) -> dict[str, Any]:
        """Return the User object of a private chat's owner."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name or ""}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def allocate_id(self) -> int:
        """Return the next message id of this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to one callback query (answerCallbackQuery)."""

    query_id: str
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class InlineAnswer:
    """What the bot answered to one inline query (answerInlineQuery)."""

    query_id: str
    query: str
    results: list[dict[str, Any]]
    cache_time: int | None
    is_personal: bool
    next_offset: str | None


@dataclass(frozen=True)
class CallRecord:
    """One Bot API call as seen by the emulator (no texts, no token)."""

    method: str
    chat_id: int | None
    status: int
    description: str | None
    at: float
    uploads: int = 0  # files sent in the call's multipart body (0 when a known file_id was sent instead)


@dataclass
class Fault:
    """An injected failure matching by chat and/or method, consumed as it fires."""

    kind: str
    chat_id: int | None = None
    method: str | None = None
    count: int = 1
    retry_after: int = 1
    hold: float = 30.0

    def matches(self, method: str, chat_id: int | None, default_exempt: bool) -> bool:
        """Return True when this fault applies to a call."""
        if self.count <= 0:
            return False
        if self.method is None:
            if default_exempt:
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass
class EmulatorStats:
    """Counters of the emulator: calls per method, deliveries per chat, errors, 429s, faults."""

    calls: Counter[str] = field(default_factory=Counter)
    delivered: Counter[int] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    error_descriptions: Counter[str] = field(default_factory=Counter)
    faults_fired: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    rate_limited: int = 0

    @property
    def total_calls(self) -> int:
        """Return the number of Bot API calls received."""
        return sum(self.calls.values())

    @property
    def total_delivered(self) -> int:
        """Return the number of messages delivered to all chats."""
        return sum(self.delivered.values())
