"""What readers and admins see of polls and ratings: texts and keyboards, pure functions of counts.

Every count is shown through ``bot.impact.counts.shown``: under 5 it reads "< 5". A block's total is left out when any
of its options is hidden that way, so the total cannot give a hidden count away by subtraction.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton

from bot.content import LocaleContent
from bot.impact import SMALL_COUNT, shown, suppressed
from bot.languages.i18n import Translator
from bot.polls.callbacks import Results, Useful, Vote
from bot.polls.domain import NO_CHOICE, Keys, PollState, PollVersion
from bot.polls.store import Poll, UsefulCount
from bot.reading.keyboards import Keyboard, language_name

__all__ = [
    "LEAST_USEFUL_SHOWN",
    "export_csv",
    "least_useful_lines",
    "poll_chart",
    "poll_keyboard",
    "poll_text",
    "results_text",
    "useful_row",
    "version_for",
    "without_useful_row",
]

LEAST_USEFUL_SHOWN = 5  # sections listed in /stats
BAR_WIDTH = 12  # characters of the longest bar in /stats <poll>
CHART_OPTION_CHARS = 60  # of each option in /stats <poll>: the whole chart stays within one message
CHECK = "✓ "


def version_for(versions: Mapping[str, PollVersion], language: str, default: str) -> str | None:
    """The language version a reader of ``language`` gets: theirs, the default language's, or any (as the
    delivery engine picks the message to copy)."""
    if language in versions:
        return language
    if default in versions:
        return default
    return min(versions) if versions else None


def poll_text(version: PollVersion, t: Translator) -> str:
    """The poll as delivered: the question and how answers are kept."""
    hint = t.gettext("Tap an answer. Nobody sees what you chose: the bot keeps only the totals.")
    return f"📊 <b>{html.escape(version.question)}</b>\n\n{html.escape(hint)}"


def poll_keyboard(
    poll_id: int,
    language: str,
    version: PollVersion,
    keys: Keys,
    *,
    user_id: int = 0,
    current: int = 0,
    answers: int = 0,
) -> Keyboard:
    """One button per option, each carrying the reader's signed state; once answered, a results button too."""
    parts: tuple[object, ...] = (poll_id, language, current, answers) + ((user_id,) if answers else ())
    signature = keys.sign(*parts)
    rows = [
        [
            InlineKeyboardButton(
                (CHECK if number == current else "") + option,
                callback_data=Vote(poll_id, language, number, current, answers, signature).pack(),
            )
        ]
        for number, option in enumerate(version.options, start=1)
    ]
    if answers:
        rows.append([InlineKeyboardButton("↻ 📊", callback_data=Results(poll_id, language).pack())])
    return Keyboard(rows)


def _block(options: Sequence[str], counts: Mapping[int, int]) -> list[str]:
    lines = [f"• {html.escape(option)}: {_shown(counts.get(n, 0))}" for n, option in enumerate(options, start=1)]
    return lines


def _total_line(counts: Mapping[int, int], t: Translator) -> list[str]:
    if any(suppressed(n) for n in counts.values()):
        return []
    total = sum(counts.values())
    return [html.escape(t.ngettext("{count} answer", "{count} answers", total).format(count=shown(total)))]


def _by_option(counts: Mapping[tuple[str, int], int], language: str | None) -> dict[int, int]:
    result: dict[int, int] = {}
    for (code, option), n in counts.items():
        if language is None or code == language:
            result[option] = result.get(option, 0) + n
    return result


def results_text(
    poll: Poll,
    language: str,
    counts: Mapping[tuple[str, int], int],
    state: PollState,
    t: Translator,
    current: int = NO_CHOICE,
) -> str:
    """A reader's view: the question, their answer, the results of their language version and of all."""
    version = poll.versions[language]
    lines = [f"📊 <b>{html.escape(version.question)}</b>", ""]
    if current != NO_CHOICE and current <= len(version.options):
        chosen = version.options[current - 1]
        lines += [html.escape(t.gettext("Your answer: {answer}").format(answer=chosen)), ""]
    if state is PollState.CLOSED:
        lines += [_bold(t.gettext("The poll is closed. Final results:"))]
    elif state is PollState.CANCELLED:
        lines += [_bold(t.gettext("This poll was cancelled."))]
    mine = _by_option(counts, language)
    lines += [html.escape(t.gettext("Answers in {language}:").format(language=language_name(language)))]
    lines += _block(version.options, mine) + _total_line(mine, t)
    everyone = _by_option(counts, None)
    lines += ["", html.escape(t.gettext("All languages together:"))]
    lines += _block(version.options, everyone) + _total_line(everyone, t)
    if state is PollState.OPEN:
        lines += [
            "",
            html.escape(t.gettext("You can change your answer until {time} UTC.").format(time=_short(poll.closes_at))),
        ]
    lines += [
        "",
        html.escape(t.gettext("Counts under {threshold} show as “< {threshold}”.").format(threshold=SMALL_COUNT)),
    ]
    return "\n".join(lines)


def poll_chart(
    poll: Poll, counts: Mapping[tuple[str, int], int], state: PollState, default_language: str, t: Translator
) -> str:
    """The admins' view (/stats <id>): the question and options once, then each language version's results as
    numbered bars, then all languages together (fits one message: 7 languages x 10 options)."""
    status = {
        PollState.OPEN: t.gettext("open until {time} UTC").format(time=_short(poll.closes_at)),
        PollState.CLOSED: t.gettext("closed"),
        PollState.CANCELLED: t.gettext("cancelled"),
    }[state]
    lines = [_bold(t.gettext("Poll #{id}: {state}").format(id=poll.id, state=status))]
    code = version_for(poll.versions, default_language, default_language)
    if code is None:
        return lines[0]
    version = poll.versions[code]
    lines += ["", html.escape(version.question)]
    lines += [f"{n}. {html.escape(option[:CHART_OPTION_CHARS])}" for n, option in enumerate(version.options, start=1)]
    blocks = [(language_name(c), _by_option(counts, c)) for c in sorted(poll.versions)]
    if len(poll.versions) > 1:
        blocks.append((t.gettext("All languages together"), _by_option(counts, None)))
    for title, by_option in blocks:
        lines += ["", f"<b>{html.escape(title)}</b>"]
        top = max((n for n in by_option.values() if not suppressed(n)), default=0)
        for number in range(1, len(version.options) + 1):
            n = by_option.get(number, 0)
            bar = "░" if suppressed(n) else "█" * (round(BAR_WIDTH * n / top) if top else 0)
            lines.append(f"{number}. {bar} {_shown(n)}")
        lines += _total_line(by_option, t)
    return "\n".join(lines)


def useful_row(theme: str, section: str, t: Translator) -> list[InlineKeyboardButton]:
    """ "Was this useful?": one row of two buttons."""
    return [
        InlineKeyboardButton(t.gettext("👍 Useful"), callback_data=Useful(theme, section, "y").pack()),
        InlineKeyboardButton(t.gettext("👎 Not useful"), callback_data=Useful(theme, section, "n").pack()),
    ]


def without_useful_row(rows: Sequence[Sequence[InlineKeyboardButton]]) -> Keyboard:
    """A keyboard without its "was this useful?" row (once answered)."""
    prefix = Useful("x", "x", "y").pack().split(":")[:2]
    marker = ":".join(prefix) + ":"
    kept = [list(row) for row in rows if not any(str(b.callback_data or "").startswith(marker) for b in row)]
    return Keyboard(kept)


def least_useful_lines(counts: Sequence[UsefulCount], content: LocaleContent, t: Translator) -> list[str]:
    """/stats: the sections (per language) with the smallest share of "useful", among those with enough answers."""
    lines = [_bold(t.gettext("Least useful sections (readers’ answers)"))]
    enough = [c for c in counts if c.yes + c.no >= SMALL_COUNT]
    if not enough:
        lines.append(html.escape(t.gettext("Not enough answers yet.")))
        return lines
    enough.sort(key=lambda c: (c.yes / (c.yes + c.no), -(c.yes + c.no)))
    for item in enough[:LEAST_USEFUL_SHOWN]:
        where = _section_title(content, item.theme, item.section)
        language = html.escape(language_name(item.language))
        lines.append(f"• {html.escape(where)} · {language}: 👍 {_shown(item.yes)} · 👎 {_shown(item.no)}")
    lines.append(
        html.escape(
            t.gettext("Sections with fewer than {threshold} answers are not listed.").format(threshold=SMALL_COUNT)
        )
    )
    return lines


def export_csv(
    polls: Sequence[tuple[Poll, Mapping[tuple[str, int], int]]], useful: Sequence[UsefulCount]
) -> tuple[bytes, int]:
    """Polls (per language version x option) and ratings (per theme x section x language), counts under 5 as
    "< 5"; return the UTF-8 CSV and its number of data rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "poll", "language", "option", "text", "theme", "section", "count", "useful", "not_useful"])
    rows = 0
    for poll, counts in polls:
        for code in sorted(poll.versions):
            version = poll.versions[code]
            for number, option in enumerate(version.options, start=1):
                writer.writerow(
                    ["poll", poll.id, code, number, option, "", "", shown(counts.get((code, number), 0)), "", ""]
                )
                rows += 1
    for item in useful:
        writer.writerow(
            ["useful", "", item.language, "", "", item.theme, item.section, "", shown(item.yes), shown(item.no)]
        )
        rows += 1
    return ("\ufeff" + out.getvalue()).encode(), rows


def _section_title(content: LocaleContent, theme_id: str, section_id: str) -> str:
    theme = content.theme(theme_id)
    section = theme.section(section_id) if theme else None
    if theme is None or section is None:
        return f"{theme_id} › {section_id}"
    return f"{theme.short_title} › {section.title}"


def _bold(text: str) -> str:
    return f"<b>{html.escape(text)}</b>"


def _shown(count: int) -> str:
    """``shown`` for HTML: "< 5" escaped."""
    return html.escape(shown(count))


def _short(iso: str) -> str:
    return iso.replace("T", " ")[:16]
