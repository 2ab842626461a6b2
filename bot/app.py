"""Build the ``Application``: services, handlers in order, error handler, start-up and shut-down hooks."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import logging
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import help as bot_help
from bot import polls as bot_polls
from bot.announcing import handlers as announcing_handlers
from bot.announcing import screens as admin_screens
from bot.announcing.delivery import BroadcastEngine, Progress
from bot.announcing.drafts import progress_text
from bot.announcing.services import ENGINE_KEY, engine_of
from bot.commands import ADMIN_COMMANDS, COMMANDS, Audience, help_lines
from bot.config import Settings
from bot.content import Content, load_content
from bot.content.cache import cached, tree_key
from bot.impact import handlers as impact_handlers
from bot.languages.i18n import I18n
from bot.languages.transliterate import TRANSLITERATION_RULES
from bot.offline import handlers as offline_handlers
from bot.offline.service import start_offline, stop_offline
from bot.ops.health import Heartbeat, HeartbeatRequest
from bot.ops.paths import content_dir, locales_dir
from bot.ops.profile import sync_profile
from bot.reading import fallbacks, inline, stale
from bot.reading import handlers as reading
from bot.reading.context import (
    ANNOUNCEMENT_MARKUP_KEY,
    DEFAULTS,
    SERVICES_KEY,
    BotApp,
    BotContext,
    Services,
    resolve_reader,
)
from bot.reading.keyboards import Keyboard, announcement_keyboard
from bot.reading.library import Library
from bot.reading.screens import Screens
from bot.reading.search import SearchIndex
from bot.reports import handlers as report_handlers
from bot.storage import Announcement, Storage
from bot.storage.tally import flush_periodically
from bot.telegram.aiohttp_request import AiohttpRequest
from bot.telegram.json_request import JsonRequest
from bot.telegram.updates import PerUserUpdateProcessor, UpdateQueue

__all__ = [
    "BotApplication",
    "build_application",
    "load_static",
    "start_application",
    "stop_application",
]

logger = logging.getLogger(__name__)

# Handler groups, in the order they run (``add_handlers``): the reader first, then the messages that
# belong to a waiting step (a report's comment, an admin's draft), then everything else.
READER_GROUP = -3
REPORT_COMMENT_GROUP = -2
ADMIN_DRAFT_GROUP = -1

Static = tuple[Content, I18n, Library, SearchIndex]

BROADCAST_BOT_KEY = "broadcast_bot"
BROADCAST_CONNECTIONS = 64  # the broadcast Bot's own HTTP connection pool (at least its in-flight sends)
STATIC_CACHE_DIR = "cache"  # beside the database: the parsed content and its index (bot/content/cache.py)
# PTB's defaults for the reader Bot's pools: replies share one pool, long polling has a connection of its own.
READER_CONNECTIONS = 256
COUNTERS_TASK_KEY = "counters_task"


class BotApplication(BotApp):
    """PTB's ``Application`` without one unbounded set.

    PTB notes the id of every chat and user it sees for its persistence, and only a persistence ever empties
    those sets; this bot has none, so they would grow by one entry per person who ever wrote.
    """

    __slots__ = ()

    def _mark_for_persistence_update(self, *, update: object | None = None, job: Any = None) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


def load_static(settings: Settings, content_root: Path | None = None, cache_dir: Path | None = None) -> Static:
    """Load and index the content and the interface catalogues (once, at start-up).

    With ``cache_dir``, the parsed content and its search index come from a pickle there when the files are
    unchanged (bot/content/cache.py): a start takes a fraction of a second instead of a second more.
    """
    root = content_root or settings.content_dir or content_dir()
    locales = settings.locales_dir or locales_dir()

    def build() -> tuple[Content, SearchIndex]:
        content = load_content(root)
        return content, SearchIndex(content)

    if cache_dir is None:
        content, search = build()
    else:
        # The transliterator's letter rules build derived content (uz-Cyrl): a new version of them is new content.
        content, search = cached(cache_dir, tree_key([root, locales, *TRANSLITERATION_RULES]), build)
    i18n = I18n.load(locales, content.codes, settings.default_language)
    return content, i18n, Library(content), search


def build_application(
    settings: Settings,
    *,
    content_root: Path | None = None,
    static: Static | None = None,
    sync_bot_profile: bool = True,
    request: BaseRequest | None = None,
    broadcast: bool = True,
    heartbeat: Heartbeat | None = None,
    broadcast_request: BaseRequest | None = None,
) -> BotApp:
    """The whole bot; storage opens in ``post_init`` and closes in ``post_shutdown``.

    ``static`` (from ``load_static``) lets tests and benchmarks share one loaded copy of the content;
    ``request`` and ``broadcast_request`` replace the HTTP clients of the reader Bot and of the delivery
    engine's Bot (the benchmark measures the bot without the network); ``broadcast=False`` leaves out the
    delivery engine; ``heartbeat`` is told of every answered ``getUpdates``.
    """
    if settings.token is None:
        raise ValueError("a bot token is required")
    content, i18n, library, search = static or load_static(
        settings, content_root, cache_dir=settings.database_path.parent / STATIC_CACHE_DIR
    )

    async def post_init(app: BotApp) -> None:
        storage = await Storage.open(settings.database_path, settings.default_language)
        # Offline copies (bot/offline/): found in the cache, or built by a process of its own a little later.
        offline = await start_offline(
            app.bot_data,
            database=storage.database,
            library=library,
            username=app.bot.username,
            content_root=content_root or settings.content_dir or content_dir(),
            locales_root=settings.locales_dir or locales_dir(),
            cache_dir=settings.database_path.parent / STATIC_CACHE_DIR,
            default_language=settings.default_language,
        )
        # The bot's username (for share links) is known once initialize() has called getMe.
        screens = Screens(
            library, i18n, search, app.bot.username, offline.subjects, extras=help_buttons, commands=help_lines()
        )
        engine = None
        if broadcast:
            # Announcements go through a Bot of their own, with its own connection pool: a running
            # broadcast never makes a reader's reply wait for a free connection. Its aiohttp backend
            # costs half the CPU of PTB's default per request (bot/telegram/aiohttp_request.py). The engine
            # initialises it when the first broadcast starts: no aiohttp import, no getMe before that.
            broadcast_bot = Bot(
                settings.token or "",
                base_url=settings.api_base_url or "https://api.telegram.org/bot",
                base_file_url=settings.api_file_url or "https://api.telegram.org/file/bot",
                request=broadcast_request or AiohttpRequest(connection_pool_size=BROADCAST_CONNECTIONS),
            )
            app.bot_data[BROADCAST_BOT_KEY] = broadcast_bot
            engine = BroadcastEngine(
                broadcast_bot,
                storage,
                rate=settings.broadcast_rate,
                markup_for=app.bot_data[ANNOUNCEMENT_MARKUP_KEY],
                neutral_for=functools.partial(bot_help.neutral_message, i18n),
                on_progress=functools.partial(_show_progress, app, storage, i18n),
                delivery_retention_days=settings.delivery_retention_days,
            )
        if isinstance(app.update_processor, PerUserUpdateProcessor):
            # At shutdown a handler inside a write finishes that write before it is stopped.
            app.update_processor.cancel_running = storage.database.cancel_between_calls
        app.bot_data[SERVICES_KEY] = Services(settings, storage, content, library, search, i18n, screens)
        app.bot_data[ENGINE_KEY] = engine
        app.bot_data[COUNTERS_TASK_KEY] = asyncio.create_task(
            flush_periodically(storage.counters, settings.stats_retention_days), name="counters"
        )
        if sync_bot_profile:
            try:
                await sync_profile(app.bot, i18n, storage)
            except NetworkError as exc:  # Telegram went away just after getMe: the menus are set at the next start
                logger.warning("command menus not updated: %s", exc)
        # The polls the engine may still deliver, before it starts (it asks for their keyboards without waiting).
        await poll_book.load(bot_polls.PollStore(storage.database), dt.datetime.now(dt.UTC))
        if engine is not None:
            await engine.start()

    async def post_shutdown(app: BotApp) -> None:
        await stop_offline(app.bot_data)
        services: Services | None = app.bot_data.get(SERVICES_KEY)
        if services is None:
            return
        try:
            engine = engine_of(app.bot_data)
            if engine is not None:
                await engine.stop()
                await app.bot_data[BROADCAST_BOT_KEY].shutdown()
            counters: asyncio.Task[None] | None = app.bot_data.pop(COUNTERS_TASK_KEY, None)
            if counters is not None:
                counters.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await counters
        finally:
            # Even when the runner's stop budget cut the steps above short: an open connection's thread
            # would keep the process from exiting.
            await services.storage.close()  # writes the counts still waiting

    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
        .token(settings.token)
        .context_types(ContextTypes(context=BotContext))
        .defaults(DEFAULTS)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        # Updates from different people are handled concurrently, one person's in order; the storage
        # serialises its writes. The queue is bounded: a flood waits at Telegram, not in our memory.
        .concurrent_updates(PerUserUpdateProcessor())
        .update_queue(UpdateQueue())
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url).base_file_url(settings.api_file_url or "")
    # JSON bodies instead of PTB's urlencoded forms: a tenth of the CPU per reply (bot/telegram/json_request.py).
    polling = HeartbeatRequest(heartbeat) if heartbeat is not None else JsonRequest()
    builder = builder.request(request or JsonRequest(READER_CONNECTIONS)).get_updates_request(polling)
    app = builder.build()
    # The help directory's data is content too: an invalid file stops start-up like the brief's (exit code 3).
    help_buttons = bot_help.install(app, content_root or settings.content_dir or content_dir(), content.codes, i18n)
    poll_book = bot_polls.install(app, settings.database_path, settings.default_language)
    app.bot_data[ANNOUNCEMENT_MARKUP_KEY] = functools.partial(_announcement_markup, i18n, poll_book)
    add_handlers(app, settings.admin_ids)
    return app


def add_handlers(app: BotApp, admin_ids: frozenset[int]) -> None:
    """Register every feature's handlers. Groups run in order (lowest first) and each may stop the update;
    within a group the first matching handler wins."""
    private = filters.ChatType.PRIVATE
    admins = filters.User(user_id=admin_ids, allow_empty=False) if admin_ids else filters.User(user_id=[])
    # Group -3, for every update: resolve the reader once (storing a visit only where a handler below would:
    # bot/reading/context.py), so no handler repeats it.
    app.add_handler(TypeHandler(Update, resolve_reader), group=READER_GROUP)
    # Group -2: a reader's message while their report of a problem waits for a comment is that comment, and
    # nothing else (not a search, not an admin's draft).
    app.add_handler(report_handlers.comment_handler(), group=REPORT_COMMENT_GROUP)
    # Group -1: an admin's message while /announce waits for one (a language version, a date) is taken by the
    # wizard, which then stops further handling; any other message falls through.
    app.add_handler(announcing_handlers.draft_handler(admins), group=ADMIN_DRAFT_GROUP)
    # Group 0, in this order:
    # 1. Commands in private chats; admin commands for admins only: to anyone else they are unknown (step 2).
    for command in COMMANDS:
        audience = private & admins if command.audience is Audience.ADMIN else private
        app.add_handler(CommandHandler(command.name, command.handler, filters=audience))
    # 2. Any other command in a private chat is unknown (admin commands, for non-admins, fall here too).
    unknown = functools.partial(fallbacks.on_unknown_command, admin_commands=ADMIN_COMMANDS)
    app.add_handler(MessageHandler(private & filters.COMMAND, unknown))
    # 3. Plain text is a search. Edited messages are ignored on purpose: the answer to the original stands.
    app.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, reading.on_text)
    )
    # 4. Stickers, photos, voice, contacts, locations, ...: a short answer.
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, fallbacks.on_unsupported))
    # 5. Buttons: each feature's handler matches its own payloads (``pattern=``); the admins' chart buttons
    #    before the admins' other buttons; any button nobody took (stale or forged) gets a fresh menu.
    app.add_handlers(
        [
            *reading.handlers(),
            *report_handlers.handlers(),
            *bot_help.handlers(),
            *bot_polls.handlers(),
            *offline_handlers.handlers(),
            *impact_handlers.handlers(),
            *announcing_handlers.handlers(),
            CallbackQueryHandler(stale.on_stale_button),
        ]
    )
    # 6. Inline mode (sharing), and a block or unblock of the bot.
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.on_chosen_inline_result))
    app.add_handler(ChatMemberHandler(fallbacks.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    # 7. Groups and channels: answer commands addressed to the bot with a pointer to the private chat.
    app.add_handler(MessageHandler(~private & filters.COMMAND & filters.UpdateType.MESSAGE, fallbacks.on_group_message))
    app.add_error_handler(fallbacks.on_error)


ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.CHOSEN_INLINE_RESULT,  # counted as a share (BotFather's /setinlinefeedback must be on)
    Update.MY_CHAT_MEMBER,
]


async def start_application(app: BotApp) -> None:
    """Start ``app`` without polling, running ``post_init`` as ``run_polling`` would (demo, tests, benchmarks)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()


async def stop_application(app: BotApp) -> None:
    """Undo ``start_application``."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()


# ------------------------------------------------------------------------------ the delivery engine's call-backs
# The engine (bot/announcing/delivery/) knows nothing of languages, keyboards or admins: it is handed these two.


def _announcement_markup(i18n: I18n, polls: bot_polls.PollBook, announcement: Announcement, language: str) -> Keyboard:
    """Under each delivered copy: a poll's options, else the unsubscribe button, in the recipient's language."""
    return polls.markup(announcement, language) or announcement_keyboard(
        announcement.id, announcement.topics, i18n.get(language)
    )


async def _show_progress(
    app: BotApp, storage: Storage, i18n: I18n, announcement: Announcement, progress: Progress
) -> None:
    """Edit the status message of ``announcement`` (in its admin's language); a failed edit is one log line."""
    if announcement.status_chat is None or announcement.status_message is None:
        return
    admin = await storage.readers.get(announcement.created_by)
    t = i18n.get(admin.language if admin else None)
    current = dataclasses.replace(announcement, state=progress.state)
    text = progress_text(current, progress.figures, progress.rate, progress.eta_seconds, progress.final, t)
    keyboard = Keyboard(admin_screens.controls(current, t)) if not progress.final else None
    try:
        await app.bot.edit_message_text(
            text, chat_id=announcement.status_chat, message_id=announcement.status_message, reply_markup=keyboard
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            logger.info("could not update the status of announcement %s: %s", announcement.id, exc.message)
    except TelegramError as exc:
        logger.info("could not update the status of announcement %s: %s", announcement.id, exc)
