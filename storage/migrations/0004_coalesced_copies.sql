-- Several relayed lines may share one message in a recipient's chat (coalescing under
-- Telegram's per-chat pacing): `line` is the position of a relay in that message.
ALTER TABLE relay_copies ADD COLUMN line INTEGER NOT NULL DEFAULT 0;
