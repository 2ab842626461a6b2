"""The database's schema: numbered migrations, applied in order by ``Database.open`` (``PRAGMA user_version``).

What is stored about a person is the least the bot needs: the Telegram id, the chosen language, the day
first and last seen, whether they blocked the bot, and their theme subscriptions. No names, usernames or
message texts.
"""

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

# Each entry moves the schema from version N (its index) to N + 1. Never edit a shipped migration:
# append a new one, and add its step to tests/test_storage.py.
MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: people and their subscriptions.
    """
    CREATE TABLE users (
        user_id    INTEGER PRIMARY KEY,
        language   TEXT,                          -- chosen in the bot, NULL until chosen
        first_seen TEXT    NOT NULL,              -- UTC day, YYYY-MM-DD: a day is precise enough
        last_seen  TEXT    NOT NULL,
        blocked    INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
    ) STRICT;
    CREATE TABLE subscriptions (
        user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        topic   TEXT    NOT NULL,
        PRIMARY KEY (user_id, topic)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX subscriptions_by_topic ON subscriptions (topic, user_id);
    """,
    # 1 -> 2: small key/value facts about the bot itself (e.g. which command menus are set).
    """
    CREATE TABLE bot_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX users_by_language ON users (language, blocked);
    """,
    # 2 -> 3: announcements and their durable delivery queue; a guessed language is kept apart from a
    # chosen one (announcements reach people in the language Telegram suggested until they choose).
    """
    ALTER TABLE users ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0 CHECK (language_chosen IN (0, 1));
    UPDATE users SET language_chosen = 1 WHERE language IS NOT NULL;
    CREATE TABLE announcements (
        id            INTEGER PRIMARY KEY,
        created_by    INTEGER NOT NULL,          -- the admin's Telegram id
        created_at    TEXT    NOT NULL,          -- UTC, ISO 8601
        topics        TEXT    NOT NULL,          -- JSON list of topics, empty for everyone
        language      TEXT,                      -- only readers of this language, NULL for all
        silent        INTEGER NOT NULL DEFAULT 0,
        protect       INTEGER NOT NULL DEFAULT 0,
        scheduled_at  TEXT,                      -- UTC, ISO 8601, NULL to send at once
        state         TEXT    NOT NULL CHECK (state IN
                          ('scheduled', 'queued', 'running', 'paused', 'done', 'cancelled')),
        status_chat   INTEGER,                   -- where the admin's progress message is
        status_message INTEGER,
        started_at    TEXT,
        finished_at   TEXT
    ) STRICT;
    CREATE INDEX announcements_by_state ON announcements (state, scheduled_at);
    CREATE TABLE announcement_versions (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,
        from_chat       INTEGER NOT NULL,        -- the admin's message that is copied to readers
        message_id      INTEGER NOT NULL,
        PRIMARY KEY (announcement_id, language)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE deliveries (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,
        state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN
                            ('pending', 'sending', 'sent', 'blocked', 'gone', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        not_before      REAL    NOT NULL DEFAULT 0,  -- epoch seconds: retry back-off
        last_error      TEXT,                        -- Telegram's error description, never message text
        PRIMARY KEY (announcement_id, user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX deliveries_by_state ON deliveries (announcement_id, state, not_before);
    CREATE INDEX deliveries_by_user ON deliveries (user_id);
    """,
    # 3 -> 4: which original (en or ru) a reader of a translation compares pages with; NULL: English.
    """
    ALTER TABLE users ADD COLUMN reference TEXT;
    """,
    # 4 -> 5: anonymous daily counters (bot/impact/counts.py): a UTC day, a language and content ids, never a user id,
    # a search's words or a time of day; and each announcement's outcomes per minute, for its delivery chart
    # (the deliveries table already holds each recipient's outcome; this adds no time to any person's row).
    """
    CREATE TABLE page_views (
        day      TEXT    NOT NULL,               -- UTC day, YYYY-MM-DD
        language TEXT    NOT NULL,
        theme    TEXT    NOT NULL,               -- a theme id, or 'about'
        section  TEXT    NOT NULL,               -- a section id, '' for the theme's own page
        views    INTEGER NOT NULL,
        PRIMARY KEY (day, language, theme, section)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE daily_counts (
        day      TEXT    NOT NULL,
        language TEXT    NOT NULL,
        metric   TEXT    NOT NULL,               -- new, active, search, link, share, subscribe, unsubscribe, forget
        subject  TEXT    NOT NULL DEFAULT '',    -- a theme id or a deep link payload (content ids only)
        count    INTEGER NOT NULL,
        PRIMARY KEY (day, language, metric, subject)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE delivery_timeline (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        minute          TEXT    NOT NULL,        -- UTC, YYYY-MM-DDTHH:MM
        state           TEXT    NOT NULL,        -- sent, blocked, gone, failed
        count           INTEGER NOT NULL,        -- negative when failed ones were sent again
        PRIMARY KEY (announcement_id, minute, state)
    ) STRICT, WITHOUT ROWID;
    """,
    # 5 -> 6: a finished or cancelled announcement past DELIVERY_RETENTION_DAYS loses its per-recipient rows
    # (each ties a person to its themes); these totals stay in their place. NULL while the rows are kept.
    """
    ALTER TABLE announcements ADD COLUMN sent_total    INTEGER;
    ALTER TABLE announcements ADD COLUMN blocked_total INTEGER;  -- blocked the bot or account gone
    ALTER TABLE announcements ADD COLUMN failed_total  INTEGER;
    ALTER TABLE announcements ADD COLUMN unsent_total  INTEGER;  -- still pending when it was cancelled
    """,
    # 6 -> 7: the help directory and discreet mode (bot/help/): the country a reader asked the bot to remember
    # (NULL unless they agreed), whether announcements reach them as a neutral message first; both go with the
    # user row on /forget. Each announcement version's text (or caption) as HTML, to open a neutral message in
    # place.
    """
    ALTER TABLE users ADD COLUMN help_country TEXT;
    ALTER TABLE users ADD COLUMN discreet INTEGER NOT NULL DEFAULT 0 CHECK (discreet IN (0, 1));
    CREATE TABLE announcement_texts (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,
        html            TEXT    NOT NULL,        -- the admin's text or caption, as Telegram's HTML
        media           INTEGER NOT NULL DEFAULT 0 CHECK (media IN (0, 1)),
        PRIMARY KEY (announcement_id, language)
    ) STRICT, WITHOUT ROWID;
    """,
    # 7 -> 8: the offline copies' uploads (bot/offline/file_ids.py): Telegram's file_id of each file sent once,
    # by the hash of the file's bytes (changed content is a new hash, so a fresh upload). Nobody's id.
    """
    CREATE TABLE offline_uploads (
        sha256  TEXT PRIMARY KEY,                -- of the file's bytes
        file_id TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    """,
    # 8 -> 9: readers' reports of a problem, for the translators (bot/translations/): which items were reported in
    # which language on which day, as counts. No reader id, no comment, no kind: nothing ties a person to a text.
    """
    CREATE TABLE reported_items (
        day      TEXT    NOT NULL,               -- UTC, YYYY-MM-DD
        language TEXT    NOT NULL,
        theme    TEXT    NOT NULL,
        item     TEXT    NOT NULL,               -- an item id of the theme
        count    INTEGER NOT NULL,
        PRIMARY KEY (day, language, theme, item)
    ) STRICT, WITHOUT ROWID;
    """,
    # 9 -> 10: polls and "was this useful?" (bot/polls/): counts only. A poll's question and options per language
    # version; its counts per language version x option; while it is open, one keyed token per reader who answered (a
    # keyed hash of the poll and the reader, with how often they changed their answer, never which option),
    # erased when the poll closes. Usefulness: counts per theme x section x language, and one keyed token per
    # reader x section answered (not which answer), so a section is not asked about twice. The key is a file
    # beside the database, never in it or in a backup.
    """
    CREATE TABLE polls (
        announcement_id INTEGER PRIMARY KEY REFERENCES announcements (id) ON DELETE CASCADE,
        closes_at       TEXT    NOT NULL,        -- UTC, ISO 8601
        closed          INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1))  -- tokens erased
    ) STRICT;
    CREATE TABLE poll_versions (
        announcement_id INTEGER NOT NULL REFERENCES polls (announcement_id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,
        question        TEXT    NOT NULL,
        options         TEXT    NOT NULL,        -- JSON list of 2-10 option texts
        PRIMARY KEY (announcement_id, language)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE poll_counts (
        announcement_id INTEGER NOT NULL REFERENCES polls (announcement_id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,        -- the language version answered
        option          INTEGER NOT NULL,        -- 1-based
        count           INTEGER NOT NULL,
        PRIMARY KEY (announcement_id, language, option)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE poll_tokens (
        announcement_id INTEGER NOT NULL REFERENCES polls (announcement_id) ON DELETE CASCADE,
        token           BLOB    NOT NULL,        -- keyed hash of (poll, reader): not reversible without the key
        changes         INTEGER NOT NULL,        -- answers given so far (a replayed or stale button is refused)
        PRIMARY KEY (announcement_id, token)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE useful_counts (
        theme    TEXT    NOT NULL,
        section  TEXT    NOT NULL,
        language TEXT    NOT NULL,
        answer   TEXT    NOT NULL CHECK (answer IN ('yes', 'no')),
        count    INTEGER NOT NULL,
        PRIMARY KEY (theme, section, language, answer)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE useful_tokens (
        token BLOB PRIMARY KEY                   -- keyed hash of (reader, theme, section): asked already
    ) STRICT, WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
