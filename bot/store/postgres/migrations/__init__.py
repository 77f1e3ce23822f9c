"""Numbered SQL migrations for PostgreSQL, applied in order by bot.store.postgres.db.migrate."""
