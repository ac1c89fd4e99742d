-- Workshops (ateliers), evening check-ins and the shared knowledge board.
-- Check-ins are on exactly when the member's consent_checkins is on.

CREATE TABLE workshops (
    id          INTEGER PRIMARY KEY,
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    starts_at   INTEGER NOT NULL,
    tz          TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    sent_24h    INTEGER NOT NULL DEFAULT 0,
    sent_1h     INTEGER NOT NULL DEFAULT 0,
    sent_start  INTEGER NOT NULL DEFAULT 0,
    sent_after  INTEGER NOT NULL DEFAULT 0,
    created_day TEXT    NOT NULL
);

CREATE INDEX workshops_by_start ON workshops (status, starts_at);

-- The copy of a workshop post in each member's chat, to update its counts.
CREATE TABLE workshop_posts (
    workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (workshop_id, member_id)
);

CREATE TABLE rsvps (
    workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    answer      TEXT    NOT NULL CHECK (answer IN ('yes', 'maybe', 'no')),
    day         TEXT    NOT NULL,
    PRIMARY KEY (workshop_id, member_id)
);

CREATE TABLE checkin_settings (
    member_id     INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    minute_of_day INTEGER NOT NULL DEFAULT 1200,
    days          INTEGER NOT NULL DEFAULT 127,
    tz            TEXT    NOT NULL DEFAULT 'America/Montreal',
    paused_until  INTEGER NOT NULL DEFAULT 0,
    snooze_until  INTEGER NOT NULL DEFAULT 0,
    last_sent_day TEXT    NOT NULL DEFAULT ''
);

-- Answers: a mood level and tags on a day; never free text.
CREATE TABLE checkin_answers (
    id        INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    day       TEXT    NOT NULL,
    mood      INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    tags      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (member_id, day)
);

-- The board keeps no author: withdrawal is proven by a secret only the author's chat holds.
CREATE TABLE board_entries (
    id            INTEGER PRIMARY KEY,
    room_id       INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL DEFAULT '',
    link          TEXT    NOT NULL DEFAULT '',
    pinned        INTEGER NOT NULL DEFAULT 0,
    withdraw_hash BLOB    NOT NULL,
    created_day   TEXT    NOT NULL
);

CREATE INDEX board_by_room ON board_entries (room_id, pinned DESC, id);
