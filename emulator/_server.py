"""The emulator as a server: aiohttp on loopback, its start and stop, and each call's way through faults to a method."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from aiohttp.web import FileField
from telegram.constants import FileSizeLimit

from ._controls import EmulatorControls
from ._core import DEFAULT_TOKEN, Params
from ._faults import FaultInjector, fault_error
from ._methods import API_METHODS
from ._models import (
    ERR_BAD_GATEWAY_HTML,
    ERR_INTERNAL,
    ERR_NOT_FOUND,
    ERR_UNAUTHORIZED,
    ApiError,
    CallRecord,
    Fault,
)
from ._requests import read_params
from ._tracking import ChatTracker

__all__ = ["BotAPIEmulator"]

logger = logging.getLogger(__name__)

_HTTP_METHODS: Final = ("GET", "POST")


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


class BotAPIEmulator(EmulatorControls):
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
        self._faults = FaultInjector(seed)
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
                params = await read_params(request)
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
            fault = self._faults.take(method, chat_id, self.stats)
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
                    raise fault_error(fault)
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
        return self._faults.add(
            chat_id=chat_id, method=method, kind=kind, count=count, retry_after=retry_after, hold=hold
        )

    def clear_faults(self) -> None:
        """Remove all pending faults and switch chaos mode off."""
        self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Return the faults that did not fire yet."""
        return self._faults.pending

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
        self._faults.set_random(probability, kinds, methods=methods, retry_after=retry_after, hold=hold)
