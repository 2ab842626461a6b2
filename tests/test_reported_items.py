"""From a reader's report to a fix: the admins get a link to the page as the reader saw it, and the translators
a file with just the reported items; the bot counts item ids, language and day, never who reported."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.__main__ import main
from bot.reading import deeplinks
from bot.reading.deeplinks import DeepLink
from tests.conftest import ADMIN_ID, BotEnv
from tests.test_languages_e2e import open_climate_barriers, press


def test_a_page_link_names_the_page_and_the_language() -> None:
    link = DeepLink("about", "-", page=2, language="uz-Cyrl")
    assert deeplinks.encode(link) == "p_about_-_2_uz-Cyrl"
    assert deeplinks.decode("p_about_-_2_uz-Cyrl") == link
    assert deeplinks.decode("p_climate_barriers_x_kk") is None


async def test_a_report_carries_a_link_to_the_readers_page_and_counts_only_items(
    env: BotEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = env.services.i18n.get("kk")
    admin = env.emu.user(ADMIN_ID, language_code="en")
    reader = env.emu.user(4104, language_code="kk")
    await open_climate_barriers(env, reader, "kk")
    await press(reader, t.gettext("⚠ Report a problem"))
    await press(reader, t.gettext("Typo"))
    await press(reader, t.gettext("Send without a comment"))
    await admin.wait_for(lambda: admin.find("climate / barriers") is not None, timeout=10, what="the report")
    report = admin.find("climate / barriers")
    assert report is not None and report.html is not None
    assert "?start=p_climate_barriers_0_kk" in report.html

    # The admin (reading in English) opens the link: the page in Kazakh, as the reader saw it.
    await admin.start("p_climate_barriers_0_kk")
    (page,) = await admin.wait_reply()
    barriers = env.services.content.get("kk").theme("climate").sections[0]  # type: ignore[union-attr]
    assert barriers.items[0].text.split()[0] in (page.text or "")

    db = sqlite3.connect(env.settings.database_path)
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(reported_items)")]
        rows = db.execute("SELECT day, language, theme, item, count FROM reported_items ORDER BY item").fetchall()
    finally:
        db.close()
    assert columns == ["day", "language", "theme", "item", "count"]  # nobody's id
    today = dt.datetime.now(dt.UTC).date().isoformat()
    page_items = env.services.screens.page_items("kk", "climate", "barriers", 0)
    assert page_items
    assert rows == [(today, "kk", "climate", item, 1) for item in sorted(page_items)]

    # The native reviewer gets just those items.
    monkeypatch.setenv("DATABASE_PATH", str(env.settings.database_path))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    out = tmp_path / "reported.po"
    assert main(["translations", "export", "--lang", "kk", "--out", str(out), "--reported", "--since", today]) == 0
    with out.open("rb") as fh:
        catalog = read_po(fh)
    contexts = {m.context for m in catalog if m.id}
    assert contexts == {f"climate › barriers › {item} › text" for item in page_items}
    tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    assert main(["translations", "export", "--lang", "kk", "--out", str(out), "--reported", "--since", tomorrow]) == 0
    with out.open("rb") as fh:
        assert not [m for m in read_po(fh) if m.id]
