"""The `entraide` command line: run, invite, doctor, purge, backup, rotate-key, incident, crisis-eval, bench.

It speaks the operator's language (LC_ALL, else LC_MESSAGES, else LANG: fr* is French,
anything else English), every string from the same catalogs as the bot (keys `cli.*`
in locales/), --help and argparse's own messages included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
from functools import partial
from pathlib import Path
from typing import cast

from bot.cli.say import Say, operator_locale  # noqa: F401  (operator_locale: part of the CLI's interface)
from bot.core.config import Config, ConfigError
from bot.core.datalock import maintenance, rotation
from bot.core.logs import setup_logging
from storage.database import StorageError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


# What apply_retention counts (bot/services/retention.py), as the operator reads it.
PURGE_KEYS = {
    "message map entries (older than 48 h)": "purge_map",
    "invitations (used or expired)": "purge_invites",
    "reports (older than 30 days)": "purge_reports",
    "check-in answers (older than 90 days)": "purge_checkins",
    "closed rooms (after 30 days)": "purge_closed_rooms",
    "published trends (weeks no longer shown)": "purge_trends",
    "inactive members told (erased in 30 days)": "purge_inactive_told",
    "inactive members erased": "purge_inactive_erased",
}

# argparse's own messages (Python 3.11–3.13 wording) -> (catalog key, named groups).
ARGPARSE_MESSAGES = [
    (re.compile(r"the following arguments are required: (?P<names>.+)"), "err_required"),
    (re.compile(r"unrecognized arguments: (?P<names>.+)"), "err_unrecognized"),
    (
        re.compile(r"argument (?P<name>[^:]+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)"),
        "err_invalid_choice",
    ),
    (re.compile(r"argument (?P<name>[^:]+): expected one argument"), "err_expected_one"),
    (re.compile(r"argument (?P<name>[^:]+): invalid (?P<kind>\w+) value: (?P<value>.+)"), "err_invalid_value"),
]


# Errors the configuration and the storage raise (their text is English, shared with the
# logs): recognised here and told in the operator's language; any other is shown as is.
ERROR_MESSAGES = [
    (re.compile(pattern, re.S), key)
    for pattern, key in [
        (r"(?P<name>[A-Z_]+)=(?P<value>.*) must be host:port, e\.g\. 127\.0\.0\.1:8443", "err_listen"),
        (r"ENTRAIDE_PRIVACY_CONTACT is longer than 300 characters: .*", "err_contact_long"),
        (r"ENTRAIDE_WEBHOOK_URL must be a public https:// URL .*", "err_webhook_https"),
        (r"ENTRAIDE_WEBHOOK_URL must not carry a query or a fragment", "err_webhook_query"),
        (r"ENTRAIDE_TZ=(?P<tz>.*) is not a known time zone", "err_tz"),
        (r"TELEGRAM_API_URL must start with http:// or https://", "err_api_url"),
        (r"SIGNAL_ACCOUNT must be the bot's Signal number in international form, .*", "err_signal_account"),
        (r"SIGNAL_ACCOUNT is set but SIGNAL_CLI_RPC is not: .*", "err_signal_account_alone"),
        (r"(?P<name>[A-Z_]+)=(?P<where>\S+): cannot listen there \((?P<why>.*)\)", "err_cannot_listen"),
        (r"Telegram refused ENTRAIDE_WEBHOOK_URL: (?P<why>.*)", "err_webhook_refused"),
        (r"the master key does not open this database \(nothing was changed\)", "err_wrong_key"),
        (
            r"a database exists in (?P<folder>.*) but neither ENTRAIDE_MASTER_KEY nor (?P<path>.*) is there to open it",
            "err_missing_key",
        ),
        (r"no key yet in (?P<folder>.*)", "err_no_key"),
        (r"(?P<origin>.*) is not valid base64", "err_key_base64"),
        (r"(?P<origin>.*) must decode to (?P<expected>\d+) bytes, not (?P<found>\d+)", "err_key_length"),
        (r"a key rotation is not finished: run `entraide rotate-key` again", "err_rotation_pending"),
        (
            r".*\((?P<folder>[^()]*)\).*another 'entraide run' is already using this data directory.*",
            "err_busy_running",
        ),
        (r".*\((?P<folder>[^()]*)\).*the bot is running on this data directory: stop it.*", "err_busy_stop_bot"),
        (
            r".*\((?P<folder>[^()]*)\).*another entraide command is working on this data directory.*",
            "err_busy_other_verb",
        ),
        (r".*\((?P<folder>[^()]*)\).*a key rotation is running on this data directory.*", "err_busy_rotating"),
    ]
]


def explain(error: Exception, say: Say) -> str:
    """One line for the operator about a configuration or storage error."""
    text = str(error)
    for pattern, key in ERROR_MESSAGES:
        found = pattern.fullmatch(text)
        if found:
            text = say(key, **found.groupdict())
            break
    return say("error_prefix", error=text)


def _formatter(say: Say) -> type[argparse.HelpFormatter]:
    class Formatter(argparse.HelpFormatter):
        def add_usage(self, usage, actions, groups, prefix=None):
            return super().add_usage(usage, actions, groups, say("usage") if prefix is None else prefix)

    return Formatter


class OperatorParser(argparse.ArgumentParser):
    """argparse in the operator's language: usage, titles, -h and errors through `Say`."""

    def __init__(self, *args, say: Say, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _formatter(say))
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.say = say
        self._positionals.title = say("positionals")
        self._optionals.title = say("options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=say("help_option"))

    def error(self, message: str):
        for pattern, key in ARGPARSE_MESSAGES:
            found = pattern.fullmatch(message)
            if found:
                message = self.say(key, **found.groupdict())
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, self.say("error", prog=self.prog, message=message) + "\n")


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    return stop


def sandbox_dir(config: Config) -> Path:
    """The sandbox never touches production data: it keeps its own folder."""
    return config.data_dir / "sandbox"


async def _run(config: Config, port: int, demo: bool = False, open_browser: bool = True) -> None:
    from bot.telegram.runner import serve

    stop = _stop_event()
    if config.token or config.signal:  # Signal alone needs no Telegram token
        await serve(config, stop)
        return
    from bot.sandbox.session import Sandbox

    sandbox = Sandbox(sandbox_dir(config), port=port, demo=demo)
    await sandbox.start()
    print(sandbox.banner(Say()), flush=True)
    if open_browser:
        _open_browser(sandbox.url)
    try:
        await sandbox.run(config, stop)
    finally:
        await sandbox.stop()


def _open_browser(url: str) -> None:
    """Open the page where there is a browser to open (never in CI or over SSH)."""
    import webbrowser

    if os.environ.get("CI") or (
        sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    ):
        return
    try:
        webbrowser.open(url)
    except Exception:
        pass


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from bot.signal.inbound_run import SignalUnreachable
    from bot.telegram.runner import ApiUnreachable, TokenRefused

    try:
        asyncio.run(_run(config, args.port, args.demo, not args.no_browser))
    except TokenRefused:
        print(args.say("token_refused"), file=sys.stderr)
        return EXIT_CONFIG
    except ApiUnreachable:
        print(args.say("api_unreachable"), file=sys.stderr)
        return EXIT_FAILED
    except SignalUnreachable:
        print(args.say("signal_unreachable"), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        pass
    except OSError as error:
        if error.errno != 98:  # EADDRINUSE
            raise
        print(args.say("port_in_use", port=args.port, next=args.port + 1), file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_OK


def cmd_invite(args: argparse.Namespace, config: Config) -> int:
    from bot.core.clock import Clock
    from bot.ports.offline import NoMessenger
    from bot.ports.scheduler import ManualScheduler
    from bot.services import Services
    from bot.services.invites import VALID_DAYS
    from bot.telegram.adapter import deep_link
    from bot.telegram.runner import bot_username, open_database

    signal_only = not args.sandbox and not config.token and config.signal
    sandbox = args.sandbox or not (config.token or config.signal)
    if sandbox:
        config = config.with_(data_dir=sandbox_dir(config))
    elif not signal_only:
        username = args.bot_username or asyncio.run(bot_username(config))

    async def create() -> str:
        with maintenance(config.data_dir):
            return await _create()

    async def _create() -> str:
        db = await open_database(config)
        try:
            # The services as the bot assembles them, with no messenger behind them (an
            # invitation is only stored) and nothing scheduled: the bot is not running here.
            services = Services.build(config, db, NoMessenger(), Clock(config.tz), ManualScheduler())
            return await services.invites.create()
        finally:
            await db.close()

    code = asyncio.run(create())
    if sandbox:
        # No real bot behind it: a t.me link would look real and lead nowhere.
        print(args.say("sandbox_invite", code=code))
        print(args.say("sandbox_invite_note", days=VALID_DAYS), file=sys.stderr)
        return EXIT_OK
    if signal_only:  # no link on Signal: the facilitator types the code to the bot
        print(args.say("signal_invite", code=code))
    else:
        print(deep_link(username, code))
        if config.signal:
            print(args.say("signal_invite", code=code))
    print(args.say("invite_note", days=VALID_DAYS), file=sys.stderr)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.doctor import diagnose

    lines, healthy = asyncio.run(diagnose(config, args.say))
    for line in lines:
        print(line)
    return EXIT_OK if healthy else EXIT_FAILED


def cmd_purge(args: argparse.Namespace, config: Config) -> int:
    from bot.services.retention import purge_now
    from storage.database import DB_NAME

    if not (config.data_dir / DB_NAME).exists():
        print(args.say("purge_nothing", folder=config.data_dir))
        return EXIT_OK
    with maintenance(config.data_dir):
        counts = asyncio.run(purge_now(config))
    for name, count in counts.items():
        what = args.say(PURGE_KEYS[name]) if name in PURGE_KEYS else name
        print(args.say("purge_line", what=what, count=count))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.operator import make_backup

    with maintenance(config.data_dir):
        path, removed = make_backup(config)
    print(path)
    for old in removed:
        print(args.say("backup_removed", path=old), file=sys.stderr)
    return EXIT_OK


def cmd_rotate_key(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.operator import rotate_key

    with rotation(config.data_dir):
        result = rotate_key(config)
    print(args.say("rotate_done", version=result.version, path=result.key_path))
    for path in result.backups_rekeyed:
        print(args.say("rotate_rekeyed", path=path))
    for path in result.backups_already:
        print(args.say("rotate_already", path=path))
    for path in result.backups_unreadable:
        print(args.say("rotate_unreadable", path=path))
    if not (result.backups_rekeyed or result.backups_already or result.backups_unreadable):
        print(args.say("rotate_no_backups"))
    if config.master_key:
        print(args.say("rotate_env"), file=sys.stderr)
    return EXIT_OK


def cmd_incident(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.operator import add_incident, list_incidents

    if args.action == "add":
        if not args.nature or not args.measures:
            print(args.say("incident_usage"), file=sys.stderr)
            return EXIT_CONFIG
        with maintenance(config.data_dir):
            incident = asyncio.run(add_incident(config, args.nature, args.measures, args.day))
        print(args.say("incident_added", id=incident.id, day=incident.day))
        return EXIT_OK
    with maintenance(config.data_dir):
        incidents = asyncio.run(list_incidents(config))
    for incident in incidents:
        print(
            args.say(
                "incident_line", id=incident.id, day=incident.day, nature=incident.nature, measures=incident.measures
            )
        )
    return EXIT_OK


def cmd_bench(args: argparse.Namespace, config: Config) -> int:
    from bot.bench.runs import main as bench_main

    options = [
        *args.scenarios,
        *(["--quick"] if args.quick else []),
        *(["--json"] if args.json else []),
        "--per-chat",
        str(args.per_chat),
        "--overall",
        str(args.overall),
    ]
    if args.latency is not None:
        options += ["--latency", str(args.latency)]
    if args.sizes:
        options += ["--sizes", args.sizes]
    return bench_main(options)


def cmd_crisis_eval(args: argparse.Namespace, config: Config) -> int:
    from bot.services.crisis import assess
    from bot.services.risk import corpus
    from bot.services.risk.evaluation import Labels, evaluate

    say = args.say
    try:
        if args.files:
            lines = [line for name in args.files for line in corpus.read(Path(name))]
            source = ", ".join(args.files)
        else:
            lines = corpus.split("heldout")
            source = say("crisis_eval_heldout", folder=corpus.CORPUS_DIR)
    except (OSError, corpus.CorpusError) as error:
        print(say("error_prefix", error=error), file=sys.stderr)
        return EXIT_CONFIG
    if not lines:
        print(say("crisis_eval_empty"), file=sys.stderr)
        return EXIT_CONFIG
    print(say("crisis_eval_lines", count=len(lines), source=source) + "\n")
    labels = Labels(
        say("crisis_eval_intro"),
        say("crisis_eval_recall"),
        say("crisis_eval_held"),
        say("crisis_eval_flagged"),
        say("crisis_eval_category"),
        say("crisis_eval_missed"),
        say("crisis_eval_alarms"),
    )
    print(evaluate(lines, lambda text: assess(text).level).render(labels))
    return EXIT_OK


def parser(say: Say | None = None) -> argparse.ArgumentParser:
    say = say or Say()
    top = OperatorParser(prog="entraide", description=say("description"), say=say)
    # argparse only calls parser_class(**options): a partial with the words does.
    sub_parser = cast("type[OperatorParser]", partial(OperatorParser, say=say))
    verbs = top.add_subparsers(dest="verb", required=True, parser_class=sub_parser)
    run = verbs.add_parser("run", help=say("run_help"), description=say("run_help"))
    run.add_argument("--port", type=int, default=8765, help=say("run_port"))
    run.add_argument("--demo", action="store_true", help=say("run_demo"))
    run.add_argument("--no-browser", action="store_true", help=say("run_no_browser"))
    run.set_defaults(func=cmd_run)
    invite = verbs.add_parser("invite", help=say("invite_help"), description=say("invite_help"))
    invite.add_argument("--bot-username", help=say("invite_bot_username"))
    invite.add_argument("--sandbox", action="store_true", help=say("invite_sandbox"))
    invite.set_defaults(func=cmd_invite)
    for name, func in (
        ("doctor", cmd_doctor),
        ("purge", cmd_purge),
        ("backup", cmd_backup),
        ("rotate-key", cmd_rotate_key),
    ):
        key = name.replace("-", "_") + "_help"
        verbs.add_parser(name, help=say(key), description=say(key)).set_defaults(func=func)
    incident = verbs.add_parser("incident", help=say("incident_help"), description=say("incident_help"))
    incident.add_argument("action", choices=["add", "list"], help=say("incident_action"))
    incident.add_argument("--nature", help=say("incident_nature"))
    incident.add_argument("--measures", help=say("incident_measures"))
    incident.add_argument("--day", help=say("incident_day"))
    incident.set_defaults(func=cmd_incident)
    crisis_eval = verbs.add_parser("crisis-eval", help=say("crisis_eval_help"), description=say("crisis_eval_help"))
    crisis_eval.add_argument("files", nargs="*", metavar="FILE.tsv", help=say("crisis_eval_files"))
    crisis_eval.set_defaults(func=cmd_crisis_eval)
    bench = verbs.add_parser("bench", help=say("bench_help"), description=say("bench_help"))
    bench.add_argument("scenarios", nargs="*", help=say("bench_scenarios"))
    bench.add_argument("--quick", action="store_true", help=say("bench_quick"))
    bench.add_argument("--json", action="store_true", help=say("bench_json"))
    bench.add_argument("--latency", type=float, help=say("bench_latency"))
    bench.add_argument("--per-chat", type=float, default=1.0, help=say("bench_per_chat"))
    bench.add_argument("--overall", type=float, default=30.0, help=say("bench_overall"))
    bench.add_argument("--sizes", help=say("bench_sizes"))
    bench.set_defaults(func=cmd_bench)
    return top


def main(argv: list[str] | None = None) -> int:
    say = Say()
    args = parser(say).parse_args(argv)
    args.say = say
    setup_logging()
    try:
        config = Config.from_env()
        return args.func(args, config)
    except (ConfigError, StorageError) as error:
        print(explain(error, say), file=sys.stderr)
        return EXIT_CONFIG
    except Exception as error:  # the token refused during invite, and the like
        from bot.telegram.runner import TokenRefused

        if isinstance(error, TokenRefused):
            print(say("token_refused"), file=sys.stderr)
            return EXIT_CONFIG
        raise


if __name__ == "__main__":
    sys.exit(main())
