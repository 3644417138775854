"""Hall sync: counters push their outbox to the central PostgreSQL."""
