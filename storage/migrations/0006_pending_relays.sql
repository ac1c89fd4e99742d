-- A relayed message whose copies are not all settled yet (ids only, like the rest of the
-- map). Set before the first copy leaves, cleared when every recipient's copy is sent
-- (or can never be: a blocked bot); what a crash leaves set is told to the sender at the
-- next start, as a reply to their own message.
ALTER TABLE relays ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX relays_pending ON relays (pending) WHERE pending = 1;
