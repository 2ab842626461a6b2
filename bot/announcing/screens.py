"""The admins' views as ``Screen``s (HTML text + keyboard): the /announce wizard's steps, /announcements, /stats.

Pure functions of a translator, the content and figures already read from storage, like ``bot/reading/screens.py`` for
readers: no Telegram I/O and no database, so a test builds any of them directly. The handlers are in
``bot/announcing/handlers.py``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton

from bot.announcing.buttons import Admin, AdminButton, WizardChoice
from bot.announcing.drafts import Draft, audience_label, progress_text, recipients_text
from bot.content import LocaleContent
from bot.languages.i18n import Translator
from bot.polls import CLOSES_CHOICE, OPTION_MAX, OPTIONS_MAX, OPTIONS_MIN, POLL_CHOICE, QUESTION_MAX, PollProblem
from bot.reading.keyboards import GENERAL_TOPIC, Keyboard, checkbox, language_name
from bot.reading.screens import Screen
from bot.storage import Announcement, AnnouncementState, DeliveryFigures

__all__ = [
    "announcements_screen",
    "ask_message_screen",
    "audience_screen",
    "bold",
    "button",
    "closing_label",
    "confirmed_screen",
    "controls",
    "empty_audience_screen",
    "language_filter_screen",
    "options_screen",
    "poll_problem_text",
    "preview_screen",
    "schedule_screen",
]


def button(text: str, kind: AdminButton, value: str | int) -> InlineKeyboardButton:
    """A button of the admin screens: ``kind`` and ``value`` travel in its callback data."""
    return InlineKeyboardButton(text, callback_data=Admin(kind, str(value)).pack())


def bold(text: str) -> str:
    """``text`` escaped, in bold."""
    return f"<b>{html.escape(text)}</b>"


def short_time(iso: str | None) -> str:
    """``YYYY-MM-DD HH:MM UTC`` (stored times are UTC; the zone is said, as a reader may assume their own)."""
    if not iso:
        return "—"
    return iso.replace("T", " ")[:16] + " UTC"


# --------------------------------------------------------------------------------------------- the wizard


def audience_screen(t: Translator, content: LocaleContent, draft: Draft) -> Screen:
    """Step 1: everyone, or the subscribers of some topics."""
    rows = [[button(checkbox(draft.everyone) + " " + t.gettext("Everyone"), AdminButton.AUDIENCE, WizardChoice.ALL)]]
    general = t.gettext("General announcements")
    rows.append([button(f"{checkbox(GENERAL_TOPIC in draft.topics)} {general}", AdminButton.AUDIENCE, GENERAL_TOPIC)])
    rows += [
        [button(f"{checkbox(th.id in draft.topics)} {th.short_title}", AdminButton.AUDIENCE, th.id)]
        for th in content.themes
    ]
    poll = checkbox(draft.poll) + " " + t.gettext("📊 A poll instead of a message")
    rows.append([button(poll, AdminButton.AUDIENCE, POLL_CHOICE)])
    rows.append(
        [
            button(t.gettext("Next ›"), AdminButton.AUDIENCE, WizardChoice.NEXT),
            button(t.gettext("Cancel"), AdminButton.DROP, 0),
        ]
    )
    text = t.gettext("New announcement, step 1 of 4: who receives it? Choose everyone, or the subscribers of topics.")
    return Screen(html.escape(text), Keyboard(rows))


def language_filter_screen(t: Translator, languages: Sequence[str]) -> Screen:
    """Step 2: all readers, or the readers of one of ``languages``."""
    rows = [[button(t.gettext("All languages"), AdminButton.LANGUAGE, WizardChoice.ALL)]]
    rows += [
        [button(t.gettext("Only {language}").format(language=language_name(c)), AdminButton.LANGUAGE, c)]
        for c in languages
    ]
    rows.append([button(t.gettext("Cancel"), AdminButton.DROP, 0)])
    text = t.gettext("Step 2 of 4: all readers, or only the readers of one language?")
    return Screen(html.escape(text), Keyboard(rows))


def ask_message_screen(t: Translator, draft: Draft, default_language: str) -> Screen:
    """Step 3: the message in ``draft.asking`` (skippable, except the default language or a one-language audience)."""
    assert draft.asking is not None
    text = t.gettext(
        "Step 3 of 4: send the message in {language}: text, a photo or a document with a caption. "
        "It is delivered exactly as you send it."
    ).format(language=language_name(draft.asking))
    if draft.poll:
        text = t.gettext(
            "Step 3 of 4: send the poll in {language}: the question on the first line, "
            "then {low} to {high} answers, one per line."
        ).format(language=language_name(draft.asking), low=OPTIONS_MIN, high=OPTIONS_MAX)
    rows = []
    if draft.asking != default_language and draft.language is None:
        text += "\n\n" + t.gettext("Or skip: readers of this language then get the {default} version.").format(
            default=language_name(default_language)
        )
        rows.append([button(t.gettext("Skip"), AdminButton.SKIP, draft.asking)])
    rows.append([button(t.gettext("Cancel"), AdminButton.DROP, 0)])
    return Screen(html.escape(text), Keyboard(rows))


def options_screen(t: Translator, draft: Draft) -> Screen:
    """Step 4: silent, protected, now or scheduled."""
    rows = [
        [
            button(
                checkbox(draft.silent) + " " + t.gettext("Silent (no notification sound)"),
                AdminButton.OPTION,
                WizardChoice.SILENT,
            )
        ],
        [
            button(
                checkbox(draft.protect) + " " + t.gettext("Protect (no forwarding or saving)"),
                AdminButton.OPTION,
                WizardChoice.PROTECT,
            )
        ],
        *([[button(closing_label(t, draft.closes_days), AdminButton.OPTION, CLOSES_CHOICE)]] if draft.poll else []),
        [
            button(t.gettext("Send now"), AdminButton.OPTION, WizardChoice.NOW),
            button(t.gettext("Schedule…"), AdminButton.OPTION, WizardChoice.WHEN),
        ],
        [button(t.gettext("Cancel"), AdminButton.DROP, 0)],
    ]
    return Screen(html.escape(t.gettext("Step 4 of 4: options.")), Keyboard(rows))


def schedule_screen(t: Translator, problem: str | None = None) -> Screen:
    """Ask for the moment to send, saying first what was wrong with the last answer (``ScheduleError.reason``)."""
    text = t.gettext(
        "Send the date and time as YYYY-MM-DD HH:MM, with a time zone if it is not UTC, "
        "for example: 2026-12-01 09:00 Asia/Almaty"
    )
    if problem == "format":
        text = t.gettext("I could not read that date.") + "\n\n" + text
    elif problem == "zone":
        text = t.gettext("I do not know that time zone.") + "\n\n" + text
    elif problem == "past":
        text = t.gettext("That moment has already passed.") + "\n\n" + text
    elif problem == "range":
        text = t.gettext("That date is too far in the future.") + "\n\n" + text
    return Screen(html.escape(text), Keyboard([[button(t.gettext("Cancel"), AdminButton.DROP, 0)]]))


def preview_screen(
    t: Translator, content: LocaleContent, draft: Draft, counts: dict[str, int], default_language: str
) -> Screen:
    """After the previews: who receives it, in which version, with which options and when; Confirm / Cancel."""
    audience = audience_label(draft.topics, draft.language, content, t)
    lines = [
        bold(t.gettext("Ready to send")),
        html.escape(t.gettext("To: {audience}").format(audience=audience)),
        html.escape(recipients_text(counts, t)),
    ]
    for code in counts:
        if code not in draft.versions:
            lines.append(
                html.escape(
                    t.gettext("{language} readers get the {default} version.").format(
                        language=language_name(code), default=language_name(default_language)
                    )
                )
            )
    flags = []
    if draft.silent:
        flags.append(t.gettext("silent"))
    if draft.protect:
        flags.append(t.gettext("protected"))
    if flags:
        lines.append(html.escape(", ".join(flags)))
    if draft.poll:
        lines.append(html.escape(closing_label(t, draft.closes_days)))
    when = (
        t.gettext("Sends at {time} UTC.").format(time=draft.scheduled_at.strftime("%Y-%m-%d %H:%M"))
        if draft.scheduled_at
        else t.gettext("Sends as soon as you confirm.")
    )
    lines.append(html.escape(when))
    keyboard = Keyboard(
        [[button(t.gettext("✓ Confirm"), AdminButton.CONFIRM, 0), button(t.gettext("Cancel"), AdminButton.DROP, 0)]]
    )
    return Screen("\n".join(lines), keyboard)


def closing_label(t: Translator, days: int) -> str:
    """The poll's closing time, as its button and the preview say it."""
    return t.ngettext(
        "⏱ The poll closes {count} day after sending", "⏱ The poll closes {count} days after sending", days
    ).format(count=days)


def poll_problem_text(t: Translator, problem: PollProblem, expected: int = 0) -> str:
    """What is wrong with the admin's poll text (``expected``: the number of answers of the first version)."""
    texts = {
        "question": t.gettext("Send the poll as text: the question on the first line, then one answer per line."),
        "question_long": t.gettext("The question is too long: at most {max} characters.").format(max=QUESTION_MAX),
        "few": t.gettext("A poll needs at least {min} answers, one per line under the question.").format(
            min=OPTIONS_MIN
        ),
        "many": t.gettext("A poll can have at most {max} answers.").format(max=OPTIONS_MAX),
        "option_long": t.gettext("Answer {number} is too long: at most {max} characters.").format(
            number=problem.number, max=OPTION_MAX
        ),
        "option_empty": t.gettext("Answer {number} is empty.").format(number=problem.number),
        "duplicate": t.gettext("Answer {number} is the same as an earlier answer.").format(number=problem.number),
        "count": t.gettext("Each language needs the same answers in the same order: send {count} answers.").format(
            count=expected
        ),
    }
    return texts.get(problem.reason, texts["question"]) + "\n\n" + t.gettext("Send the poll again.")


def empty_audience_screen(t: Translator) -> Screen:
    """A poll nobody would receive: say so; only Cancel."""
    text = t.gettext(
        "Nobody is in this audience yet, so nobody would get this poll. Cancel and choose another audience."
    )
    return Screen(html.escape(text), Keyboard([[button(t.gettext("Cancel"), AdminButton.DROP, 0)]]))


def confirmed_screen(t: Translator, announcement_id: int, scheduled: bool) -> Screen:
    """The confirmed announcement's number; a sent one's message then shows its progress."""
    text = (
        t.gettext("Announcement #{id} is scheduled. See /announcements.")
        if scheduled
        else t.gettext("Announcement #{id} is being sent. This message shows the progress.")
    ).format(id=announcement_id)
    return Screen(html.escape(text))


# --------------------------------------------------------------------------------------------- the figures


def controls(item: Announcement, t: Translator, failed: int = 0) -> list[list[InlineKeyboardButton]]:
    """Pause, resume, cancel and retry buttons for what ``item``'s state allows (one row, or none)."""
    row: list[InlineKeyboardButton] = []
    if item.state in (AnnouncementState.RUNNING, AnnouncementState.QUEUED):
        row.append(button(t.gettext("⏸ Pause #{id}").format(id=item.id), AdminButton.PAUSE, item.id))
    if item.state == AnnouncementState.PAUSED:
        row.append(button(t.gettext("▶ Resume #{id}").format(id=item.id), AdminButton.RESUME, item.id))
    if item.state in (
        AnnouncementState.SCHEDULED,
        AnnouncementState.QUEUED,
        AnnouncementState.RUNNING,
        AnnouncementState.PAUSED,
    ):
        row.append(button(t.gettext("✕ Cancel #{id}").format(id=item.id), AdminButton.CANCEL, item.id))
    retry_states = (AnnouncementState.RUNNING, AnnouncementState.PAUSED, AnnouncementState.DONE)
    if failed and item.state in retry_states and item.totals is None:  # expired: nobody left to send to
        # E.g. after an outage that outlasted the engine's horizon: the failed ones are sent again.
        row.append(button(t.gettext("↻ Retry failed #{id}").format(id=item.id), AdminButton.RETRY, item.id))
    return [row] if row else []


def announcements_screen(
    t: Translator, content: LocaleContent, items: Sequence[tuple[Announcement, DeliveryFigures]]
) -> Screen:
    """Recent announcements (newest first) with their figures, controls and chart buttons."""
    if not items:
        return Screen(html.escape(t.gettext("No announcements yet. Start one with /announce.")))
    lines = [bold(t.gettext("Recent announcements"))]
    rows: list[list[InlineKeyboardButton]] = []
    for item, figures in items:
        head = t.gettext("#{id} · {when} · {audience}").format(
            id=item.id,
            when=short_time(item.created_at),
            audience=audience_label(item.topics, item.language, content, t),
        )
        if item.state == AnnouncementState.SCHEDULED:
            # Nobody is queued before its time: figures would read "Sent: 0 of 0 … Waiting: 0".
            body = html.escape(t.gettext("Scheduled for {time}.").format(time=short_time(item.scheduled_at)))
        else:
            body = progress_text(item, figures, 0.0, None, True, t)
        lines.append(f"\n<b>{html.escape(head)}</b>\n{body}")
        item_controls = controls(item, t, figures.failed)
        chart = button(t.gettext("📊 #{id}").format(id=item.id), AdminButton.ANNOUNCEMENT_CHART, item.id)
        if item.state != AnnouncementState.SCHEDULED:  # a scheduled one has no deliveries to draw yet
            if item_controls:
                item_controls[0].append(chart)
            else:
                item_controls = [[chart]]
        rows += item_controls
    rows.append([button(t.gettext("↻ Refresh"), AdminButton.LIST, 0)])
    return Screen("\n".join(lines), Keyboard(rows))
