"""Numbered SQL migrations, applied in order by bot.store.db.migrate."""
