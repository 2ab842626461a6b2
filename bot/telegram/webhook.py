"""The webhook's HTTP server: checks the secret before reading a byte of the body, and bounds what it reads.

PTB's built-in server (tornado) reads a whole body, up to 100 MB, before its handler can look at the secret
header, and answers malformed JSON and GET with 500. This small aiohttp server feeds the same update queue.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web
from telegram import Bot, Update

__all__ = ["RECENT_UPDATE_IDS", "SECRET_HEADER", "WEBHOOK_BODY_MAX", "RecentIds", "webhook_app"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's biggest updates (a message with a long text, entities and a keyboard) are a few tens of KB.
WEBHOOK_BODY_MAX = 1024 * 1024
# Telegram re-sends an update it got no 200 for; remembering this many recent ids catches those replays.
RECENT_UPDATE_IDS = 4096


class RecentIds:
    """The last ``size`` update ids seen, for spotting replays in constant memory."""

    def __init__(self, size: int = RECENT_UPDATE_IDS) -> None:
        self._order: deque[int] = deque(maxlen=size)
        self._ids: set[int] = set()

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, update_id: int) -> bool:
        """Remember ``update_id``; False if it was already seen."""
        if update_id in self._ids:
            return False
        if len(self._order) == self._order.maxlen:
            self._ids.discard(self._order[0])
        self._order.append(update_id)
        self._ids.add(update_id)
        return True


def webhook_app(
    bot: Bot,
    queue: Any,
    path: str,
    secret: str,
    recent: RecentIds | None = None,
    on_call: Callable[[], None] | None = None,
) -> web.Application:
    """An aiohttp application answering Telegram's POSTs on ``/path`` and putting updates on ``queue``.

    ``on_call`` runs on every call that carries the secret (the health check's heartbeat).
    """
    seen = recent if recent is not None else RecentIds()
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        # Before the body: the secret (403), then the declared size (413). aiohttp has read only the headers.
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        if on_call is not None:
            on_call()
        if request.content_length is not None and request.content_length > WEBHOOK_BODY_MAX:
            return web.Response(status=413)
        try:
            body = await request.read()  # client_max_size stops a chunked body at WEBHOOK_BODY_MAX (413)
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("an update is a JSON object")
            update = Update.de_json(data, bot)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        if not seen.add(update.update_id):
            logger.info("ignoring update %d: already received", update.update_id)
            return web.Response()
        await queue.put(update)  # waits while the backlog is full: Telegram waits with us, then re-sends
        return web.Response()

    app = web.Application(client_max_size=WEBHOOK_BODY_MAX)
    # Only POST is routed: any other method on this path gets aiohttp's 405, any other path 404.
    app.router.add_post("/" + path.lstrip("/"), receive)
    return app
