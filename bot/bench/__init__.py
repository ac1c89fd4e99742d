"""`entraide bench`: speed and memory, measured against the fake Bot API."""
