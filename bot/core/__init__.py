"""What every part shares and none depends on a messenger for: configuration, the clock,
domain errors, translations, privacy-keeping logs, text with entities, button seals."""
