-- The language a room's pseudonyms are drawn in (its opener's), not each member's: an
-- English-form pseudonym in a French room would set one person apart, across rooms too.
ALTER TABLE rooms ADD COLUMN locale TEXT NOT NULL DEFAULT 'fr';
