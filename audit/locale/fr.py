"""French of every message of audit.catalogue (English → French)."""

FRENCH: dict[str, str] = {}
