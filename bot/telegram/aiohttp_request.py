"""A python-telegram-bot request backend on aiohttp, for the broadcast engine's own Bot.

PTB's default backend (httpx/httpcore) costs about twice as much CPU per request: its connection pool checks
every open connection on each request. At Telegram's 30 messages/s that does not matter; at the paid-broadcast
limit (1,000/s) it is what caps the engine. aiohttp is already a dependency (the webhook server).

Bodies are JSON (multipart only for uploads), as in ``bot/telegram/json_request.py``. aiohttp itself is imported when
the session opens, i.e. when the first broadcast starts: importing it costs most of a second of start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.telegram.json_request import JSON_HEADERS, json_body, pick_timeout

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """Sends Bot API calls through one aiohttp session with a bounded connection pool."""

    def __init__(
        self,
        connection_pool_size: int = 64,
        *,
        read_timeout: float = 10.0,
        write_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The default read timeout."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (it must be created inside the running event loop)."""
        if self._session is None or self._session.closed:
            import aiohttp  # here, not at the top: see the module docstring

            connector = aiohttp.TCPConnector(limit=self._pool_size, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close the session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``. aiohttp has no write timeout: the read timeout covers the exchange."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        import aiohttp  # loaded by initialize(): a dictionary look-up

        read = pick_timeout(read_timeout, self._read_timeout)
        connect = pick_timeout(connect_timeout, self._connect_timeout)
        pool = pick_timeout(pool_timeout, self._pool_timeout)
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                files = request_data.multipart_data
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in files.items():
                    filename, content, mimetype = (*part, None)[:3] if isinstance(part, tuple) else (None, part, None)
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                data = json_body(request_data)
                headers = JSON_HEADERS
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
