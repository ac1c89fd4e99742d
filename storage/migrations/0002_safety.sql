-- Safety and members' rights: support rooms, reports without text, the incident
-- register (encrypted fields), and the inactivity notice before erasure.

ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'topic';

ALTER TABLE members ADD COLUMN inactivity_notice_day TEXT;

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    reported_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reporter_id INTEGER REFERENCES members (id) ON DELETE SET NULL,
    relay_id    INTEGER,
    reason      TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (relay_id, reporter_id)
);

CREATE INDEX reports_by_reported ON reports (room_id, reported_id, created_at);

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    day         TEXT    NOT NULL,
    key_version INTEGER NOT NULL,
    nature      BLOB    NOT NULL,
    measures    BLOB    NOT NULL
);
