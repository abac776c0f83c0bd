"""`governance-bot` command line (SPEC §1). Rules may add their own sub-commands (`Rule.add_cli`).

The only module of `bot` that imports the rule registry: everything else is handed the
rules (`create_app(settings, rules)`, `Engine(rules=...)`), and every command finds them
as `args.rules`.
"""

from __future__ import annotations

import argparse
import errno
import gc
import importlib
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.rule import Rule

#: Commands one rule serves on its own: they run without the registry, whose other rules (and
#: the HTTP and database stacks they bring) a local command does not need. `headers check`
#: runs in commit hooks, where start-up time is most of its time. The module has `main(argv)`.
STANDALONE_COMMANDS = {"headers": "rules.license_headers.cli"}


def _die(message: str, code: int = 2) -> int:
    """Report a failure as one line per problem (no traceback) and return the exit status."""
    for line in str(message).splitlines() or [""]:
        print(f"governance-bot: {line}", file=sys.stderr)
    return code


def _listen(host: str, port: int) -> socket.socket:
    """Bind the server's socket before anything starts, so a busy port or a bad HOST is one line."""
    from bot.settings import SettingsError

    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise SettingsError(f"HOST: cannot listen on {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return socket.create_server(address, family=family, backlog=128)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SettingsError(f"PORT: {port} on {host} is already in use (another serve running? set PORT)") from None
        raise SettingsError(f"HOST/PORT: cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def redacted_url(url: str) -> str:
    """A DATABASE_URL fit for a log line: the password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://…"


def _freeze_startup_objects() -> None:
    """Leave everything built at start-up (modules, models, the language table, SQLAlchemy's
    metadata) out of the garbage collector's full passes.

    Those objects live as long as the process, yet every full collection walked all of them:
    a 60-80 ms pause in the middle of serving, which was the webhook ack's p99 under load
    (bench.ack_latency open-0: p99 77 ms before, 22 ms after).
    """
    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from bot.logsetup import configure_logging
    from bot.server import create_app, run
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings(for_serve=True)
        sock = _listen(settings.host, settings.port)
    except SettingsError as exc:
        return _die(str(exc))
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    rules = args.rules
    app = create_app(settings, rules)
    started = (f"governance-bot listening on http://{settings.host}:{settings.port}; "
               f"database {redacted_url(settings.database_url)}; App ID {settings.github_app_id}; "
               f"{settings.workers} workers; rules: {', '.join(rule.name for rule in rules) or 'none'}")
    _freeze_startup_objects()
    try:
        run(app, settings, sock=sock, on_started=lambda: logging.getLogger("bot.cli").info(started))
    except SettingsError as exc:
        return _die(str(exc))
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Serve the local set-up page until GitHub has handed over the new App's credentials."""
    import asyncio

    from bot.settings import SettingsError, load_settings

    env_path = Path(args.env_file).resolve()
    if env_path.exists() and not args.force:
        return _die(f"{env_path} exists already: move it away, or run `governance-bot setup --force` to replace it")
    try:
        settings = load_settings()
        result = asyncio.run(_setup(args, settings, env_path))
    except SettingsError as exc:
        return _die(str(exc))
    except KeyboardInterrupt:
        return _die("set-up interrupted; nothing was written", 130)
    print(f"Wrote {result['env_path']} (mode 0600) for the GitHub App {result['html_url']} (App ID {result['id']}).")
    print(f"Install it: {result['install_url']}")
    print("Then run: governance-bot serve")
    return 0


async def _setup(args: argparse.Namespace, settings: Any, env_path: Path) -> dict[str, Any]:
    import asyncio

    from aiohttp import web

    from bot.logsetup import configure_logging
    from bot.web.setup import SETUP_KEY, create_setup_app, install_url

    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    sock = _listen(args.host, args.port)
    base_url = f"http://{shown_host}:{sock.getsockname()[1]}"
    app = create_setup_app(settings, args.rules, env_path=env_path, base_url=base_url, force=args.force,
                           webhook_url=args.webhook_url or "", organization=args.org or "", name=args.name)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(f"Open {base_url}/ in a browser to create the GitHub App (Ctrl-C to stop).", flush=True)
    state = app[SETUP_KEY]
    try:
        await state.done.wait()
        await asyncio.sleep(1.0)  # let the browser receive the last page
    finally:
        await runner.cleanup()
    created = state.created or {}
    return {"env_path": state.written_to, "html_url": created.get("html_url", ""), "id": created.get("id"),
            "install_url": install_url(created)}


def cmd_config_validate(args: argparse.Namespace) -> int:
    from bot.config import load_text

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"file: cannot read {args.file}: {exc}")
        return 1
    loaded = load_text(text, args.rules)
    if loaded.errors:
        for error in loaded.errors:
            print(error)
        return 1
    print(f"{args.file}: valid")
    return 0


def cmd_config_schema(args: argparse.Namespace) -> int:
    from bot.config import json_schema

    print(json.dumps(json_schema(args.rules), indent=2))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from bot.logsetup import configure_logging
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _die(str(exc))
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    try:
        payload = json.loads(Path(args.payload).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return _die(f"cannot read payload {args.payload}: {exc}", 1)
    config = None
    if args.config:
        from bot.config import load_text

        try:
            config = load_text(Path(args.config).read_text(encoding="utf-8"), args.rules)
        except (OSError, UnicodeDecodeError) as exc:
            return _die(f"--config: cannot read {args.config}: {getattr(exc, 'strerror', None) or exc}")

    try:
        import asyncio

        writes = asyncio.run(_replay(settings, args.rules, args.event, payload, config, args.dry_run))
    except SettingsError as exc:
        return _die(str(exc))
    except Exception as exc:
        return _die(f"replay failed: {type(exc).__name__}: {exc}", 1)
    if args.dry_run:
        for method, path, body in writes:
            print(f"{method} {path} {json.dumps(body, sort_keys=True) if body is not None else ''}".rstrip())
        if not writes:
            print("(no writes)")
    return 0


async def _replay(settings: Any, rules: Sequence["Rule"], event: str, payload: dict, config: Any,
                  dry_run: bool) -> list:
    from bot.engine import Engine
    from bot.github import GitHubApp
    from bot.store import Store

    from bot.settings import SettingsError

    if not settings.github_app_id:
        raise SettingsError("GITHUB_APP_ID: required to read from GitHub")
    github = GitHubApp(app_id=settings.github_app_id, private_key=settings.private_key_pem(),
                       api_url=settings.github_api_url, graphql_url=settings.graphql_url)
    if dry_run:
        github.dry_run_writes = []
    store = Store(settings.database_url, dry_run=dry_run)
    try:
        await store.create_schema()
        engine = Engine(rules=rules, github=github, store=store, settings=settings, queue=None,
                        config_override=config, dry_run=dry_run)
        await engine.process(f"replay-{event}", event, payload)
    finally:
        await github.close()
        await store.close()
    return github.dry_run_writes or []


def build_parser(rules: Sequence["Rule"]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="governance-bot", description="Repository governance as a GitHub App.")
    parser.set_defaults(rules=tuple(rules))
    sub = parser.add_subparsers(dest="command", required=True)

    from bot.settings import settings_help

    serve = sub.add_parser("serve", help="run the webhook server", epilog=settings_help(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.set_defaults(func=cmd_serve)

    setup = sub.add_parser("setup", help="create the GitHub App from a manifest and write its credentials to .env",
                           description="Serves a local page with one button that registers the GitHub App "
                                       "(permissions and events from the rules) and writes .env (mode 0600).")
    setup.add_argument("--host", default="127.0.0.1", help="address of the local page (default 127.0.0.1)")
    setup.add_argument("--port", type=int, default=3000, help="port of the local page (default 3000)")
    setup.add_argument("--webhook-url", help="where GitHub will POST webhooks, e.g. https://bot.example.org/webhook")
    setup.add_argument("--org", help="register the App under this organisation (default: your personal account)")
    setup.add_argument("--name", default="governance-bot", help="the App's name (editable on GitHub)")
    setup.add_argument("--env-file", default=".env", help="where to write the credentials (default .env)")
    setup.add_argument("--force", action="store_true", help="replace an existing env file")
    setup.set_defaults(func=cmd_setup)

    replay = sub.add_parser("replay", help="feed one webhook payload through the engine")
    replay.add_argument("payload", help="a webhook payload JSON file")
    replay.add_argument("--event", required=True, help="the X-GitHub-Event name, e.g. pull_request")
    replay.add_argument("--config", help="use this rules file instead of the repository's")
    replay.add_argument("--dry-run", action="store_true", help="print every write instead of sending it")
    replay.set_defaults(func=cmd_replay)

    config = sub.add_parser("config", help="rules-file tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    validate = config_sub.add_parser("validate", help="validate a rules file")
    validate.add_argument("file")
    validate.set_defaults(func=cmd_config_validate)
    schema = config_sub.add_parser("schema", help="print the rules file's JSON Schema")
    schema.set_defaults(func=cmd_config_schema)

    from bot import deliveries

    deliveries.add_parser(sub)
    for rule in rules:
        rule.add_cli(sub)
    return parser


def main(argv: list[str] | None = None, rules: Sequence["Rule"] | None = None) -> int:
    """Run one command. `rules` defaults to the registry (`rules.RULES`); tests hand their own."""
    words = sys.argv[1:] if argv is None else list(argv)
    if rules is None and words and words[0] in STANDALONE_COMMANDS:
        return int(importlib.import_module(STANDALONE_COMMANDS[words[0]]).main(words) or 0)
    if rules is None:
        from rules import RULES

        rules = RULES
    parser = build_parser(rules)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
