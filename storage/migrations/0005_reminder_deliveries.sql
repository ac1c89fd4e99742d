-- Each reminder is claimed per person right before it goes: a restart between the
-- scheduling and the delivery recomputes what is missing, and nothing goes twice.
CREATE TABLE reminder_deliveries (
    workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (workshop_id, kind, member_id)
);
