"""`python -m bot.cli` runs the `hubnews` command."""

from bot.cli import main

raise SystemExit(main())
