"""Numbered SQL migrations, applied in order by bot.store.sqlite.db.migrate."""
