"""A Bot API call's parameters, read from the query string and a JSON, urlencoded or multipart body."""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from aiohttp import web

from ._core import Params
from ._models import bad_request

__all__ = ["read_params"]

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


def _decode(name: str, value: Any) -> Any:
    """JSON-decode a form field unless it is a string-typed parameter or not valid JSON."""
    if not isinstance(value, str) or name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> Params:
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
