"""The HTTP side of the emulator: aiohttp server on loopback, dispatch, faults, driver entry points."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from aiohttp.web import FileField
from telegram.constants import FileSizeLimit

from ._core import DEFAULT_TOKEN, SEND_METHODS, MessageListener, Params
from ._driver import EmulatedGroup, EmulatedUser
from ._methods import API_METHODS, BotMethods
from ._models import (
    ERR_BAD_GATEWAY_HTML,
    ERR_BLOCKED,
    ERR_CHAT_NOT_FOUND,
    ERR_DEACTIVATED,
    ERR_INTERNAL,
    ERR_NOT_FOUND,
    ERR_TOO_MANY,
    ERR_UNAUTHORIZED,
    FAULT_KINDS,
    ApiError,
    CallRecord,
    ChatState,
    EmulatedMessage,
    EmulatorStats,
    Fault,
    bad_request,
)
from ._tracking import ChatTracker

__all__ = ["BotAPIEmulator"]

logger = logging.getLogger(__name__)

# Parameters that stay strings even when they look like JSON (everything else is JSON-decoded).
_STRING_FIELDS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "language_code",
        "inline_query_id",
        "callback_query_id",
        "inline_message_id",
        "url",
        "description",
        "short_description",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "photo",
        "document",
        "thumbnail",
    }
)
# Methods a fault without an explicit `method` never hits, so polling keeps working.
_SERVICE_METHODS: Final = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo"})
_HTTP_METHODS: Final = ("GET", "POST")


@dataclass
class _RandomFaults:
    """Settings of chaos mode."""

    probability: float
    kinds: tuple[str, ...]
    methods: frozenset[str]
    retry_after: int
    hold: float


def _decode(name: str, value: Any) -> Any:
    """JSON-decode a form field unless it is a string-typed parameter or not valid JSON."""
    if not isinstance(value, str) or name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> Params:
    """Collect query, urlencoded, multipart or JSON parameters into one dict."""
    params: Params = {name: _decode(name, value) for name, value in request.query.items()}
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("Bad Request: can't parse JSON object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({name: _decode(name, value) for name, value in form.items()})
    return params


def _chat_id_of(emu: BotAPIEmulator, params: Params) -> int | None:
    """Best-effort chat id of a call, for fault matching and statistics (never raises)."""
    value = params.get("chat_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return emu._chat(value).id
        except ApiError:
            return int(value) if value.lstrip("-").isdigit() else None
    return None


class BotAPIEmulator(BotMethods):
    """Local Telegram Bot API server on 127.0.0.1 for driving the unmodified bot in tests and demos."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "brief_demo_bot",
        bot_name: str = "Brief Demo Bot",
        latency: float = 0.0,
        global_rate_limit: float | None = None,
        per_chat_rate_limit: float | None = None,
        seed: int = 0,
        keep_history: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(
            token,
            bot_username=bot_username,
            bot_name=bot_name,
            latency=latency,
            global_rate_limit=global_rate_limit,
            per_chat_rate_limit=per_chat_rate_limit,
            seed=seed,
            keep_history=keep_history,
        )
        self.host = host
        self._faults: list[Fault] = []
        self._random_faults: _RandomFaults | None = None
        self._chaos_rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start listening on an ephemeral loopback port."""
        if self._runner is not None:
            raise RuntimeError("BotAPIEmulator is already running")
        self._reset_events()
        app = web.Application(client_max_size=FileSizeLimit.FILESIZE_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        logger.info("Bot API emulator listening on %s:%d", self.host, self._port)

    def _reset_events(self) -> None:
        """Create fresh asyncio events bound to the running loop."""
        self._stopping = asyncio.Event()
        self._activity_event = asyncio.Event()
        self._update_event = asyncio.Event()

    async def stop(self) -> None:
        """Stop the server, releasing long polls and held requests first."""
        runner = self._runner
        if runner is None:
            return
        self._stopping.set()
        self._update_event.set()
        for gate in self._gates.values():
            gate.set()
        self._gates.clear()
        self._notify()
        await runner.cleanup()
        self._runner = None
        self._port = None
        logger.info("Bot API emulator stopped")

    async def __aenter__(self) -> Self:
        """Start the emulator."""
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the emulator."""
        await self.stop()

    @property
    def running(self) -> bool:
        """Return whether the server is listening."""
        return self._runner is not None

    @property
    def port(self) -> int:
        """Return the listening port."""
        if self._port is None:
            raise RuntimeError("BotAPIEmulator is not running; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """Return the base_url for PTB (``http://127.0.0.1:<port>/bot``; PTB appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    # ----------------------------------------------------------------- HTTP

    @staticmethod
    def _response(status: int, body: dict[str, Any]) -> web.Response:
        """Serialise a Bot API answer."""
        return web.json_response(body, status=status)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        """Answer any other path like Telegram does."""
        return self._response(404, ApiError(404, ERR_NOT_FOUND).payload())

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Handle one Bot API call."""
        if request.method not in _HTTP_METHODS:
            return self._response(405, ApiError(405, "Method Not Allowed").payload())
        if request.match_info["token"] != self.token:
            self.stats.errors[401] += 1
            return self._response(401, ApiError(401, ERR_UNAUTHORIZED).payload())
        entry = API_METHODS.get(request.match_info["method"].lower())
        if entry is None:
            logger.warning("Bot API method %r is not emulated; answering 404", request.match_info["method"][:64])
            self.stats.errors[404] += 1
            return self._response(404, ApiError(404, ERR_NOT_FOUND).payload())
        method, handler = entry
        self.stats.calls[method] += 1

        polling = method == "getUpdates"
        if not polling:
            self._last_call_at = time.monotonic()
            self._notify()
        try:
            return await self._process(method, handler, request)
        finally:
            if not polling:
                self._last_call_at = time.monotonic()
                self._notify()

    async def _process(self, method: str, handler: Any, request: web.Request) -> web.StreamResponse:
        """Parse, apply faults, latency and the method; record the outcome."""
        chat_id: int | None = None
        uploads = 0
        views: list[ChatTracker] = []
        polling = method == "getUpdates"
        fault: Fault | None = None
        try:
            try:
                params = await _read_params(request)
            except ConnectionResetError:
                # The client hung up before its request was whole (a bot cancelling a call as it stops): as
                # for Telegram, nothing happened, and nobody is there to answer.
                logger.debug("%s: the client hung up before sending its whole request", method)
                return web.Response(status=499)
            chat_id = _chat_id_of(self, params)
            uploads = sum(isinstance(value, FileField) for value in params.values())
            gate = self._gates.get(method)
            if gate is not None:
                await gate.wait()  # held by hold_calls() until release_calls()
            fault = self._take_fault(method, chat_id)
            if fault is not None and fault.kind == "timeout":
                logger.debug("holding %s for %.1fs (timeout fault)", method, fault.hold)
                if await self._sleep(fault.hold):
                    raise ApiError(500, ERR_INTERNAL)
                fault = None
            views = self._involved_views(method, params, chat_id)
            if not polling:
                self._inflight += 1
            for view in views:
                view._inflight += 1
            try:
                if self.latency > 0:
                    await self._sleep(self.latency)
                if fault is not None:
                    raise self._fault_error(fault)
                try:
                    result = handler(self, params)
                    if inspect.isawaitable(result):
                        result = await result
                except ApiError:
                    raise
                except Exception:
                    logger.exception("emulator bug while handling %s", method)
                    raise ApiError(500, ERR_INTERNAL) from None
            finally:
                if not polling:
                    self._inflight -= 1
                for view in views:
                    view._inflight -= 1
        except ApiError as exc:
            if polling and exc.code == 409 and (request.transport is None or request.transport.is_closing()):
                return self._response(exc.code, exc.payload())  # a cancelled long poll; nobody listens
            self._record(method, chat_id, exc.code, exc.description, uploads)
            if exc.code == 429:
                self.stats.too_many_requests += 1
            for view in views:
                view.recent_errors.append((method, exc.description))
            if fault is not None and fault.kind == "502":
                return web.Response(text=ERR_BAD_GATEWAY_HTML, status=502, content_type="text/html")
            return self._response(exc.code, exc.payload())
        self._record(method, chat_id, 200, None, uploads)
        return self._response(200, {"ok": True, "result": result})

    def _record(self, method: str, chat_id: int | None, status: int, description: str | None, uploads: int = 0) -> None:
        """Append to the call log and error counters."""
        if method != "getUpdates":
            logger.debug("%s chat=%s -> %d", method, chat_id, status)
        self.call_log.append(CallRecord(method, chat_id, status, description, time.monotonic(), uploads))
        if status != 200:
            self.stats.errors[status] += 1
            if description:
                self.stats.error_descriptions[description] += 1

    def _involved_views(self, method: str, params: Params, chat_id: int | None) -> list[ChatTracker]:
        """Return the driven chats a call may change (for reply waiting and error reports)."""
        ids: set[int | None] = {chat_id}
        if method == "answerCallbackQuery":
            query = self._callback_queries.get(str(params.get("callback_query_id") or ""))
            if query is not None:
                ids.update((query.user_id, query.chat_id))
        elif method == "answerInlineQuery":
            query = self._inline_queries.get(str(params.get("inline_query_id") or ""))
            if query is not None:
                ids.add(query.user_id)
        return [self._views[i] for i in ids if i is not None and i in self._views]

    # ----------------------------------------------------------------- faults

    def add_fault(
        self,
        *,
        chat_id: int | None = None,
        method: str | None = None,
        kind: str,
        count: int = 1,
        retry_after: int = 1,
        hold: float = 30.0,
    ) -> Fault:
        """Make the next ``count`` matching calls fail with ``kind`` (see FAULT_KINDS) before processing."""
        # "timeout" holds the request ``hold`` seconds, then processes it normally (unless stopping).
        # Without ``method`` a fault never hits getUpdates/getMe/webhook calls, so polling keeps working.
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if method is not None and method.lower() not in API_METHODS:
            raise ValueError(f"unknown Bot API method {method!r}")
        fault = Fault(kind=kind, chat_id=chat_id, method=method, count=count, retry_after=retry_after, hold=hold)
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove all pending faults and switch chaos mode off."""
        self._faults.clear()
        self._random_faults = None

    @property
    def pending_faults(self) -> list[Fault]:
        """Return the faults that did not fire yet."""
        return [f for f in self._faults if f.count > 0]

    def random_faults(
        self,
        probability: float,
        kinds: Iterable[str],
        *,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        hold: float = 30.0,
    ) -> None:
        """Chaos mode: calls of ``methods`` (default: sending methods) fail with a seeded probability."""
        # The kind is drawn from ``kinds`` by an RNG seeded with the emulator's seed; probability 0 = off.
        chosen = tuple(kinds)
        unknown = [k for k in chosen if k not in FAULT_KINDS]
        if unknown or not chosen:
            raise ValueError(f"bad fault kinds {chosen!r}; expected some of {sorted(FAULT_KINDS)}")
        if probability <= 0:
            self._random_faults = None
            return
        names = frozenset(API_METHODS[m.lower()][0] for m in methods) if methods is not None else SEND_METHODS
        self._random_faults = _RandomFaults(probability, chosen, names, retry_after, hold)

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        """Return (and consume) the fault that applies to this call, if any."""
        exempt = method in _SERVICE_METHODS
        for fault in self._faults:
            if fault.matches(method, chat_id, exempt):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                self.stats.faults_fired[fault.kind] += 1
                return fault
        chaos = self._random_faults
        if chaos is not None and method in chaos.methods and self._chaos_rng.random() < chaos.probability:
            kind = self._chaos_rng.choice(chaos.kinds)
            self.stats.faults_fired[kind] += 1
            return Fault(kind=kind, chat_id=chat_id, method=method, retry_after=chaos.retry_after, hold=chaos.hold)
        return None

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        """Return the error answer of a fault."""
        if fault.kind == "429":
            retry_after = max(1, fault.retry_after)
            return ApiError(429, ERR_TOO_MANY.format(retry_after), retry_after=retry_after)
        if fault.kind == "403":
            return ApiError(403, ERR_BLOCKED)
        if fault.kind == "403_deactivated":
            return ApiError(403, ERR_DEACTIVATED)
        if fault.kind == "400_chat_not_found":
            return ApiError(400, ERR_CHAT_NOT_FOUND)
        if fault.kind == "502":
            return ApiError(502, "Bad Gateway")
        return ApiError(500, ERR_INTERNAL)

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
