"""The `hubnews` command, the only part of hubnews that prints (one module per command group).

Exit codes (every command): 0 success; 1 the work ran but something failed (for `poll`: at
least one feed could not be fetched or parsed, each reported on stderr); 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import __version__, logs
from bot.cli.admin import cmd_backup, cmd_check, cmd_eval, cmd_feeds, cmd_run
from bot.cli.common import EPILOG, FAILED, USAGE, err, safe
from bot.cli.demo import cmd_demo
from bot.cli.feeds import cmd_feeds_export, cmd_feeds_import
from bot.cli.migrate import cmd_migrate_db
from bot.cli.poll import cmd_poll
from bot.cli.search import cmd_search
from bot.errors import ConfigError, HubnewsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logs.setup("debug" if args.verbose else "warning")
    try:
        return int(args.handler(args))
    except HubnewsError as exc:
        err.print(f"[bold red]error:[/] {safe(exc.message)}")
        if exc.hint:
            err.print(f"[yellow]next step:[/] {safe(exc.hint)}")
        return USAGE if isinstance(exc, ConfigError) else FAILED
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def _parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="hubnews",
        description="Tech-policy news for a Slack team: poll feeds, fold "
        "copies, tag, summarise, alert, search.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"hubnews {__version__}")
    parser.set_defaults(handler=lambda _: _usage(parser), verbose=False)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    poll = sub.add_parser(
        "poll",
        parents=[common],
        epilog=EPILOG,
        help="poll feeds once and store (and alert) what is new",
        description="Poll the configured feeds (or --feed ones) once.",
    )
    poll.add_argument(
        "--once",
        action="store_true",
        required=True,
        help="one cycle, then exit (continuous polling is `hubnews run`)",
    )
    poll.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL_OR_PATH",
        help="poll this feed instead of the configured ones (repeatable)",
    )
    poll.add_argument(
        "--dry-run", action="store_true", help="post nothing and leave the database unchanged"
    )
    poll.add_argument(
        "--json", action="store_true", help="one JSON object per story on stdout, nothing else"
    )
    poll.set_defaults(handler=cmd_poll)

    search = sub.add_parser(
        "search",
        parents=[common],
        epilog=EPILOG,
        help="search stored stories (the engine behind /hubnews)",
    )
    search.add_argument(
        "query",
        nargs="+",
        help='words, "phrases", tag:ai, source:scmp.com, since:7d, before:2020-11-01',
    )
    search.add_argument("--json", action="store_true", help="one JSON object per hit")
    search.add_argument("--limit", type=int, default=5, help="how many hits (default 5)")
    search.set_defaults(handler=cmd_search)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        epilog=EPILOG,
        help="run a full cycle on bundled sample feeds (no Slack needed)",
    )
    demo.set_defaults(handler=cmd_demo)

    check = sub.add_parser(
        "check",
        parents=[common],
        epilog=EPILOG,
        help="validate the config and show it, secrets redacted",
    )
    check.set_defaults(handler=cmd_check)

    feeds = sub.add_parser(
        "feeds",
        parents=[common],
        epilog=EPILOG,
        help="list feeds with their health; import or export them as OPML",
        description="With no subcommand: list feeds with their health.",
    )
    feeds.set_defaults(handler=cmd_feeds)
    feeds_sub = feeds.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    # The options may also come after the subcommand; there they must not reset the
    # values given before it, hence defaults suppressed.
    inner = _common(suppress=True)
    feeds_import = feeds_sub.add_parser(
        "import",
        parents=[inner],
        help="add the feeds of an OPML file (each checked by one fetch)",
        description="Add the feeds of an OPML file (Feedly, Inoreader or any reader's export). "
        "Feeds already known or repeated in the file are skipped; each new one is fetched "
        "once and added only if it parses. Exit codes: 0 the file was read and every new "
        "feed added; 1 some feeds failed their check (not added); 2 usage error or a file "
        "that is not readable OPML.",
    )
    feeds_import.add_argument("file", metavar="FILE.opml", help="the OPML file")
    feeds_import.add_argument(
        "--dry-run", action="store_true", help="check and report, add nothing"
    )
    feeds_import.set_defaults(handler=cmd_feeds_import)
    feeds_export = feeds_sub.add_parser(
        "export",
        parents=[inner],
        help="print every feed as OPML 2.0 on stdout (hubnews feeds export > feeds.opml)",
    )
    feeds_export.set_defaults(handler=cmd_feeds_export)

    run = sub.add_parser(
        "run",
        parents=[common],
        epilog=EPILOG,
        help="run the bot: poll on schedule, post alerts and digests, serve Slack",
        description="Poll feeds, deliver alerts and digests, serve /hubnews (HTTP mode with "
        "SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET, Socket Mode with SLACK_APP_TOKEN; with no "
        "tokens, alerts are printed here). Stops cleanly on SIGTERM/SIGINT.",
    )
    run.add_argument(
        "--port",
        type=int,
        default=3000,
        metavar="N",
        help="port for /slack/events and /healthz (default 3000)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="N",
        help="serve Prometheus /metrics on 127.0.0.1:N (default: off)",
    )
    run.set_defaults(handler=cmd_run)

    evaluate = sub.add_parser(
        "eval", parents=[common], epilog=EPILOG, help="measure the classifier on a labelled dev set"
    )
    evaluate.add_argument(
        "--devset",
        default="tests/classify_devset",
        metavar="FOLDER",
        help="labelled dev set (default: tests/classify_devset)",
    )
    evaluate.add_argument(
        "--set",
        dest="dataset",
        choices=["devset", "web"],
        default="devset",
        help="devset: the FOLDER above; web: real news in 10 languages (CORPUS/web)",
    )
    evaluate.add_argument(
        "--split",
        choices=["heldout", "tune", "train", "test", "all"],
        default=None,
        help="devset: heldout (default) or tune; web: test (default, the locked split) or train",
    )
    evaluate.add_argument(
        "--tags",
        default=None,
        metavar="A,B|all",
        help="tags to score (default: ai,industrial-policy on devset, every taxonomy tag on web)",
    )
    evaluate.add_argument(
        "--corpus",
        default="../shared/corpus",
        metavar="FOLDER",
        help="where referenced (not redistributable) items are read from",
    )
    evaluate.add_argument(
        "--feedback",
        action="store_true",
        help="instead: agreement between tags and the team's 👍/👎 verdicts",
    )
    evaluate.add_argument(
        "--copies",
        action="store_true",
        help='instead: the folded copies the team split back out ("Not a copy", /hubnews split)',
    )
    evaluate.set_defaults(handler=cmd_eval)

    backup = sub.add_parser(
        "backup",
        parents=[common],
        epilog=EPILOG,
        help="copy the database safely while hubnews runs",
    )
    backup.add_argument("path", help="the new backup file (never overwritten)")
    backup.set_defaults(handler=cmd_backup)

    migrate = sub.add_parser(
        "migrate-db",
        epilog=EPILOG,
        help="copy a SQLite database into PostgreSQL (README: Scale out)",
        description="Copy every table of a SQLite database into PostgreSQL; safe to re-run.",
    )
    migrate.add_argument("--from", dest="source", required=True, metavar="PATH")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL")
    migrate.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    migrate.set_defaults(handler=cmd_migrate_db)
    return parser


def _common(*, suppress: bool = False) -> argparse.ArgumentParser:
    """The options every command takes (`suppress`: no defaults, for nested subcommands)."""
    none = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=none,
        help="config file (default: $HUBNEWS_CONFIG, ./config/hubnews.toml, "
        "or the built-in default)",
    )
    common.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=none,
        help="SQLite database file or postgresql:// URL (overrides the config)",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="log debug detail",
    )
    return common


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return USAGE
