"""Bundled configuration files (installed as the `bot._config` package so an installed hubnews finds them)."""
