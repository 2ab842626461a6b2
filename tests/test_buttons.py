"""Every button reaches the handler of the feature that drew it: each feature registers one handler for its own
payloads (``pattern=``), in the order bot/app.py gives, and a button nobody takes gets a fresh menu."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import CallbackQuery, Update, User
from telegram.ext import CallbackQueryHandler

from bot.announcing import handlers as announcing
from bot.announcing.buttons import Admin, AdminButton
from bot.app import Static, build_application
from bot.config import Settings
from bot.help import callbacks as help_buttons
from bot.help.handlers import on_help_callback
from bot.impact import handlers as impact
from bot.offline import handlers as offline
from bot.offline.callbacks import DownloadChoice, DownloadFile
from bot.offline.document import Form
from bot.polls import callbacks as poll_buttons
from bot.polls.handlers import on_poll_callback
from bot.reading import handlers as reading
from bot.reading import stale
from bot.reading.callbacks import PAYLOADS, Action, pack
from bot.reports import ReportPage, ReportSend, ReportWhat
from bot.reports import handlers as reports

# A sample of each kind of argument a reading payload takes, by field type.
_READING_ARGS: dict[str, str | int] = {"str": "gbv", "int": 3, "ToggleFrom": "t", "Want": "1"}


def _reading_samples() -> list[str]:
    samples = []
    for action, payload in PAYLOADS.items():
        hints = [f.type for f in payload.__dataclass_fields__.values()]
        samples.append(pack(action, *(_READING_ARGS[str(h)] for h in hints)))
    return samples


@pytest.fixture(scope="module")
def button_handlers(static: Static, tmp_path_factory: pytest.TempPathFactory) -> list[CallbackQueryHandler[Any, Any]]:
    """The application's button handlers in the order it tries them (built, not started: nothing is sent)."""
    settings = Settings(token="1:test", database_path=tmp_path_factory.mktemp("buttons") / "bot.sqlite3")
    app = build_application(settings, static=static, broadcast=False, sync_bot_profile=False)
    return [h for h in app.handlers[0] if isinstance(h, CallbackQueryHandler)]


def _taker(handlers: list[CallbackQueryHandler[Any, Any]], data: str) -> Any:
    query = CallbackQuery("1", User(1, "A", False), "chat", data=data)
    return next(h.callback for h in handlers if h.check_update(Update(1, callback_query=query)))


EXPECTED: list[tuple[str, Any]] = [
    *((data, reading.on_button) for data in _reading_samples()),
    (ReportPage("gbv", "barriers", 0).pack(), reports.on_report_button),
    (ReportWhat("tr", "gbv", "barriers", 0).pack(), reports.on_report_button),
    (ReportSend().pack(), reports.on_report_button),
    *((Admin(b, "7").pack(), announcing.on_admin_button) for b in AdminButton if "chart" not in b.value),
    (Admin(AdminButton.CHART, "sections").pack(), impact.on_chart_button),
    (Admin(AdminButton.ANNOUNCEMENT_CHART, "7").pack(), impact.on_chart_button),
    (help_buttons.OpenHelp().pack(), on_help_callback),
    (help_buttons.CountryList("kz").pack(), on_help_callback),
    (poll_buttons.Useful("gbv", "barriers", "y").pack(), on_poll_callback),
    (DownloadChoice("gbv").pack(), offline.on_download),
    (DownloadFile("gbv", Form.PDF).pack(), offline.on_download),
    # Stale or forged: another version's prefix, an unknown letter, a known prefix with nothing after it.
    ("2:m", stale.on_stale_button),
    ("1:Z:x", stale.on_stale_button),
    ("d1:z", stale.on_stale_button),
    ("1", stale.on_stale_button),
    ("garbage", stale.on_stale_button),
]


@pytest.mark.parametrize(("data", "handler"), EXPECTED, ids=[data for data, _ in EXPECTED])
def test_each_button_reaches_its_own_feature(
    button_handlers: list[CallbackQueryHandler[Any, Any]], data: str, handler: Any
) -> None:
    assert _taker(button_handlers, data) is handler


def test_every_reading_action_is_sampled() -> None:
    assert {s.split(":")[1] for s in _reading_samples()} == {a.value for a in Action}
