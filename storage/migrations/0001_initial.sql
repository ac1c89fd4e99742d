-- entraide schema v1. No names, usernames or raw Telegram ids anywhere:
-- a member is found by a keyed blind index; their chat id is sealed under their own
-- data key, itself wrapped by the versioned field key (erasing the row shreds it).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO meta (key, value) VALUES ('key_version', '1');

CREATE TABLE members (
    id                INTEGER PRIMARY KEY,
    uid_index         BLOB    NOT NULL UNIQUE,
    data_key          BLOB    NOT NULL,
    key_version       INTEGER NOT NULL,
    chat_id           BLOB    NOT NULL,
    locale            TEXT    NOT NULL DEFAULT 'fr',
    role              TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'facilitator')),
    consent_version   INTEGER NOT NULL DEFAULT 0,
    consent_rooms     INTEGER NOT NULL DEFAULT 0,
    consent_reminders INTEGER NOT NULL DEFAULT 0,
    consent_checkins  INTEGER NOT NULL DEFAULT 0,
    consent_alerts    INTEGER NOT NULL DEFAULT 0,
    active_room_id    INTEGER REFERENCES rooms (id) ON DELETE SET NULL,
    voice_warned      INTEGER NOT NULL DEFAULT 0,
    failed_deliveries INTEGER NOT NULL DEFAULT 0,
    created_day       TEXT    NOT NULL,
    last_seen_day     TEXT    NOT NULL
);

CREATE TABLE bans (
    uid_index BLOB PRIMARY KEY,
    day       TEXT NOT NULL
);

CREATE TABLE invites (
    code_hash  BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    theme       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    capacity    INTEGER NOT NULL CHECK (capacity BETWEEN 2 AND 12),
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_day TEXT    NOT NULL,
    closed_day  TEXT
);

CREATE TABLE room_members (
    room_id          INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    member_id        INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    pseudonym        TEXT    NOT NULL,
    is_facilitator   INTEGER NOT NULL DEFAULT 0,
    joined_day       TEXT    NOT NULL,
    muted_until      INTEGER NOT NULL DEFAULT 0,
    warnings         INTEGER NOT NULL DEFAULT 0,
    pseudo_day       TEXT    NOT NULL DEFAULT '',
    pseudo_draws     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, member_id),
    UNIQUE (room_id, pseudonym)
);

CREATE INDEX room_members_by_member ON room_members (member_id);

CREATE TABLE room_bans (
    room_id   INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, member_id)
);

CREATE TABLE waitlist (
    room_id   INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    since_day TEXT    NOT NULL,
    PRIMARY KEY (room_id, member_id)
);

-- The relay map: message ids only, never bodies; purged after 48 hours.
CREATE TABLE relays (
    id            INTEGER PRIMARY KEY,
    room_id       INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    author_id     INTEGER REFERENCES members (id) ON DELETE SET NULL,
    author_msg_id INTEGER,
    kind          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE INDEX relays_by_author ON relays (author_id, author_msg_id);
CREATE INDEX relays_by_age ON relays (created_at);

CREATE TABLE relay_copies (
    relay_id   INTEGER NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    part       INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (relay_id, member_id, part)
);

CREATE INDEX relay_copies_by_message ON relay_copies (member_id, message_id);
