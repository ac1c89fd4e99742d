"""The `entraide` command line: run, invite, doctor, purge, backup, rotate-key, incident, bench."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from bot.config import Config, ConfigError
from bot.datalock import maintenance, rotation
from bot.logs import setup_logging
from storage.database import StorageError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


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
    from bot.runner import serve

    stop = _stop_event()
    if config.token:
        await serve(config, stop)
        return
    from bot.sandbox.session import Sandbox

    sandbox = Sandbox(sandbox_dir(config), port=port, demo=demo)
    await sandbox.start()
    print(sandbox.banner(), flush=True)
    if open_browser:
        _open_browser(sandbox.url)
    try:
        await sandbox.run(config, stop)
    finally:
        await sandbox.stop()


def _open_browser(url: str) -> None:
    """Open the page where there is a browser to open (never in CI or over SSH)."""
    import os
    import webbrowser

    if os.environ.get("CI") or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
                                and not os.environ.get("WAYLAND_DISPLAY")):
        return
    try:
        webbrowser.open(url)
    except Exception:
        pass


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from bot.runner import ApiUnreachable, TokenRefused

    try:
        asyncio.run(_run(config, args.port, args.demo, not args.no_browser))
    except TokenRefused:
        print("Telegram a refusé le jeton TELEGRAM_BOT_TOKEN. Vérifiez-le auprès de @BotFather. "
              "/ Telegram refused the TELEGRAM_BOT_TOKEN: check it with @BotFather.",
              file=sys.stderr)
        return EXIT_CONFIG
    except ApiUnreachable:
        print("Impossible de joindre l'API Bot de Telegram (TELEGRAM_API_URL) : vérifiez le réseau, "
              "puis relancez. / The Telegram Bot API could not be reached (TELEGRAM_API_URL): check "
              "the network, then start again.", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        pass
    except OSError as error:
        if error.errno != 98:  # EADDRINUSE
            raise
        print(f"Le port {args.port} est déjà utilisé : essayez « entraide run --port {args.port + 1} ». "
              f"/ Port {args.port} is in use: try 'entraide run --port {args.port + 1}'.", file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_OK


def cmd_invite(args: argparse.Namespace, config: Config) -> int:
    from bot.clock import Clock
    from bot.runner import open_database
    from bot.services.invites import VALID_DAYS, InviteService, deep_link

    sandbox = args.sandbox or not config.token
    if sandbox:
        config = config.with_(data_dir=sandbox_dir(config))
    else:
        username = args.bot_username or asyncio.run(_bot_username(config))

    async def create() -> str:
        with maintenance(config.data_dir):
            return await _create()

    async def _create() -> str:
        db = await open_database(config)
        try:
            return await InviteService(db, Clock(config.tz)).create()
        finally:
            await db.close()

    code = asyncio.run(create())
    if sandbox:
        # No real bot behind it: a t.me link would look real and lead nowhere.
        print("Invitation du bac à sable, pas un lien Telegram\u00a0: sur un téléphone du bac à sable, tapez "
              f"/start {code}\n"
              "Sandbox invitation, not a Telegram link: on a sandbox phone, type "
              f"/start {code}")
        print(f"(à usage unique, valide {VALID_DAYS}\u00a0jours, dans le bac à sable en marche\u00a0; "
              "un nouveau «\u202fentraide run\u202f» repart à zéro / one-time, valid "
              f"{VALID_DAYS} days, in the running sandbox; a new 'entraide run' starts over)", file=sys.stderr)
        return EXIT_OK
    print(deep_link(username, code))
    print(f"(lien à usage unique, valide {VALID_DAYS} jours / one-time link, valid {VALID_DAYS} days)",
          file=sys.stderr)
    return EXIT_OK


async def _bot_username(config: Config) -> str:
    from telegram import Bot
    from telegram.error import InvalidToken

    from bot.runner import TokenRefused

    bot = Bot(config.token or "", base_url=config.api_url, base_file_url=config.file_url)
    try:
        async with bot:
            return bot.username
    except InvalidToken as exc:
        raise TokenRefused() from exc


def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    from bot.doctor import diagnose

    lines, healthy = asyncio.run(diagnose(config))
    for line in lines:
        print(line)
    return EXIT_OK if healthy else EXIT_FAILED


def cmd_purge(args: argparse.Namespace, config: Config) -> int:
    from bot.retention import purge_now
    from storage.database import DB_NAME

    if not (config.data_dir / DB_NAME).exists():
        print(f"no database in {config.data_dir}: nothing to purge")
        return EXIT_OK
    with maintenance(config.data_dir):
        counts = asyncio.run(purge_now(config))
    for name, count in counts.items():
        print(f"{name}: {count}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    from bot.operator import make_backup

    with maintenance(config.data_dir):
        path, removed = make_backup(config)
    print(path)
    for old in removed:
        print(f"removed old backup: {old}", file=sys.stderr)
    return EXIT_OK


def cmd_rotate_key(args: argparse.Namespace, config: Config) -> int:
    from bot.operator import rotate_key

    with rotation(config.data_dir):
        result = rotate_key(config)
    print(f"key version {result.version}; new master key in {result.key_path}")
    for path in result.backups_rekeyed:
        print(f"backup re-keyed (opens with the new key): {path}")
    for path in result.backups_already:
        print(f"backup already under the new key: {path}")
    for path in result.backups_unreadable:
        print(f"backup left as it was (opens with neither the old nor the new key: made before "
              f"an earlier rotation): {path}")
    if not (result.backups_rekeyed or result.backups_already or result.backups_unreadable):
        print("no backups to re-key")
    if config.master_key:
        print("ENTRAIDE_MASTER_KEY is set: put the content of that file in it, then delete the file. "
              "The backups above already open with the new key.", file=sys.stderr)
    return EXIT_OK


def cmd_incident(args: argparse.Namespace, config: Config) -> int:
    from bot.operator import add_incident, list_incidents

    if args.action == "add":
        if not args.nature or not args.measures:
            print("entraide incident add --nature TEXT --measures TEXT [--day YYYY-MM-DD]", file=sys.stderr)
            return EXIT_CONFIG
        with maintenance(config.data_dir):
            incident = asyncio.run(add_incident(config, args.nature, args.measures, args.day))
        print(f"#{incident.id} {incident.day}")
        return EXIT_OK
    with maintenance(config.data_dir):
        incidents = asyncio.run(list_incidents(config))
    for incident in incidents:
        print(f"#{incident.id}\t{incident.day}\t{incident.nature}\t{incident.measures}")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace, config: Config) -> int:
    from bot.bench import main as bench_main

    options = [*args.scenarios, *(["--quick"] if args.quick else []), *(["--json"] if args.json else []),
               "--per-chat", str(args.per_chat), "--overall", str(args.overall)]
    if args.latency is not None:
        options += ["--latency", str(args.latency)]
    if args.sizes:
        options += ["--sizes", args.sizes]
    return bench_main(options)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="entraide", description="entraide: groupes d'entraide anonymes sur Telegram")
    verbs = top.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("run", help="run the bot (no TELEGRAM_BOT_TOKEN: the local sandbox)")
    run.add_argument("--port", type=int, default=8765, help="sandbox port on 127.0.0.1 (default 8765)")
    run.add_argument("--demo", action="store_true", help="sandbox: play a short guided scene")
    run.add_argument("--no-browser", action="store_true", help="sandbox: do not open the page")
    run.set_defaults(func=cmd_run)
    invite = verbs.add_parser("invite", help="print a one-time facilitator invitation link")
    invite.add_argument("--bot-username", help="skip asking Telegram for the bot's username")
    invite.add_argument("--sandbox", action="store_true", help="invite into the sandbox's data")
    invite.set_defaults(func=cmd_invite)
    verbs.add_parser("doctor", help="check configuration, key and database").set_defaults(func=cmd_doctor)
    verbs.add_parser("purge", help="apply the retention rules now").set_defaults(func=cmd_purge)
    verbs.add_parser("backup", help="write an encrypted online backup under data/backups").set_defaults(func=cmd_backup)
    verbs.add_parser("rotate-key", help="new master key: fields re-encrypted, file re-keyed (resumable; stop the bot first)").set_defaults(func=cmd_rotate_key)
    incident = verbs.add_parser("incident", help="the confidentiality-incident register (Law 25)")
    incident.add_argument("action", choices=["add", "list"])
    incident.add_argument("--nature")
    incident.add_argument("--measures")
    incident.add_argument("--day", help="YYYY-MM-DD (default today)")
    incident.set_defaults(func=cmd_incident)
    bench = verbs.add_parser("bench", help="measure the bot against the fake Bot API (no network)")
    bench.add_argument("scenarios", nargs="*", help="overhead, fan-out, room-burst, burst, scale (default: all)")
    bench.add_argument("--quick", action="store_true", help="smaller sizes")
    bench.add_argument("--json", action="store_true", help="a JSON report on standard output")
    bench.add_argument("--latency", type=float, help="seconds per API call on the fake")
    bench.add_argument("--per-chat", type=float, default=1.0, help="emulated messages/s to one chat")
    bench.add_argument("--overall", type=float, default=30.0, help="emulated messages/s overall")
    bench.add_argument("--sizes", help="scale: member counts, e.g. 1000,10000,100000")
    bench.set_defaults(func=cmd_bench)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging()
    try:
        config = Config.from_env()
        return args.func(args, config)
    except (ConfigError, StorageError) as error:
        print(f"entraide: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception as error:  # the token refused during invite, and the like
        from bot.runner import TokenRefused

        if isinstance(error, TokenRefused):
            print("Telegram a refusé le jeton TELEGRAM_BOT_TOKEN. / Telegram refused the token.",
                  file=sys.stderr)
            return EXIT_CONFIG
        raise


if __name__ == "__main__":
    sys.exit(main())
