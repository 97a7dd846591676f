"""The `recipients` command.

`recipients import FILE` streams users into the service's bulk identify; `recipients sign-user-token
USER_ID` prints a Knock user token (an RS256 JWT, signed as the Node SDK's `signUserToken` signs it).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

from importer import __version__
from importer.batching import MAX_BATCH_ROWS
from importer.client import RecipientsClient, check_url
from importer.errors import ImportFailed
from importer.progress import Progress
from importer.reader import FORMATS, MAX_BODY_BYTES, format_for
from importer.runner import Importer, Options
from importer.state import Fingerprint, ImportFinished, ImportState, load_for_run
from importer.tokens import (
    DEFAULT_EXPIRES_IN,
    GRANT_NAMES,
    MAX_EXPIRES_IN,
    SIGNING_KEY_VARIABLE,
    Grants,
    TokenError,
    load_signing_key,
    merge_grants,
    parse_grant,
    sign_user_token,
)

EXIT_OK, EXIT_REJECTED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
URL_VARIABLES = ("RECIPIENTS_URL", "KNOCK_BASE_URL")
KEY_VARIABLES = ("RECIPIENTS_API_KEY", "KNOCK_API_KEY")
STDIN_REJECTS = "recipients-import.rejects.jsonl"
PROG = "recipients"

IMPORT_DESCRIPTION = f"""\
Stream users from a JSONL or CSV file into the Recipients service (POST /v1/users/bulk/identify):
batches of up to {MAX_BATCH_ROWS:,} users and {MAX_BODY_BYTES:,} bytes, several requests at a time, then
wait until the server has written them. Files of any size are read as a stream.

input:
  JSONL  one JSON object per line: {{"id": "u1", "name": "Ada", "email": "ada@example.com", "plan": "pro"}}.
         Blank lines are skipped.
  CSV    a header row, then one user per row. Each column becomes a property; empty cells are left out.
         An id column is required. Cells are text, except in JSON columns (listed in --json-columns, or
         with a header like "prefs:json", which gives the property "prefs"), whose cells are parsed as
         JSON: 42, true, null, ["a"], {{"theme": "dark"}}.
  The format comes from the extension (.jsonl, .ndjson, .csv) or --format. FILE "-" reads stdin.

while it runs:
  A progress line on stderr: rows read, sent, written (as the server writes them), rejected, rows/s
  (over the last 20 seconds) and, for a file, how far through it is and the ETA. At the end, a summary
  on stdout.

rejected rows:
  Rows that cannot be parsed, and rows the server rejects, do not stop the import. Each one is written
  to the rejects file as one JSON line with its line number in FILE and the row as read (for a row the
  server rejected while writing it, null):
    {{"line": 17, "id": "bad#id", "reason": "id: must not contain '#'", "errors": [...], "row": "..."}}

resume:
  After every accepted batch, progress is saved in the state file, with the URL (never the key).
  After Ctrl-C (which waits a second for answers on their way) or a crash, run the same command with
  --resume: batches the server accepted are not sent again, their operations are followed up, and
  the import continues. --resume refuses if FILE changed since (size, modification time, first line)
  unless --force. Once an import finished, the same command prints its summary and exits 0;
  --restart imports the file again. An unfinished import stops the command: choose --resume or
  --restart.

exit status:
  0 every row written; 1 finished, but some rows were rejected or operations failed;
  2 usage, input or network error (including 401/403/404 and a batch the server refuses);
  130 interrupted.

environment:
  {", ".join(URL_VARIABLES):<34}  default for --url, in that order
  {", ".join(KEY_VARIABLES):<34}  default for --key, in that order; better than --key,
  {"":<34}  which other users can see in the process list

example:
  RECIPIENTS_API_KEY=sk_... recipients import users.csv --url https://api.example.com --json-columns prefs
"""

SIGN_DESCRIPTION = f"""\
Print a Knock user token for USER_ID on stdout, for a backend that cannot use Knock's Node SDK: an
RS256 JWT with the claims of the Node SDK's signUserToken: sub (USER_ID), grants (with --grant only),
iat (now) and exp (now + --expires-in).

signing key:
  An RSA private key (at least 2048 bits), PEM: the file --key PATH, else ${SIGNING_KEY_VARIABLE}, which holds
  the PEM or its base64 (as Knock's dashboard shows it, starting LS0tLS1CRUdJTi). Never printed.

grants:
  --grant ENTITY=GRANT[,GRANT...], repeatable; ENTITY is one of
    user:ID               https://api.knock.app/v1/users/ID
    object:COLLECTION/ID  https://api.knock.app/v1/objects/COLLECTION/ID
    tenant:ID             https://api.knock.app/v1/objects/$tenants/ID
    https://...           the entity URI as it is
  and each GRANT one of:
    {", ".join(GRANT_NAMES[:3])},
    {", ".join(GRANT_NAMES[3:])}

exit status:
  0 the token is on stdout; 2 no key, an unusable key, or bad arguments (an error on stderr, no token).

example:
  TOKEN=$(recipients sign-user-token user_1 --key signing-key.pem --grant object:projects/p1=channel_data/read)
"""


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _grant(text: str) -> Grants:
    try:
        return parse_grant(text)
    except TokenError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Command-line tools for the Recipients service.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    command = commands.add_parser(
        "import",
        help="import users from a JSONL or CSV file (bulk identify), resumable",
        description=IMPORT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("file", metavar="FILE", help="the JSONL or CSV file to import; - for stdin")

    server = command.add_argument_group("server")
    server.add_argument("--url", help=f"the service's base URL, without /v1 (default: ${URL_VARIABLES[0]})")
    server.add_argument("--key", help=f"a secret API key, sk_... (default: ${KEY_VARIABLES[0]}); never printed")

    source = command.add_argument_group("input")
    source.add_argument("--format", choices=FORMATS, help="input format (default: from the extension)")
    source.add_argument(
        "--json-columns", metavar="A,B", default="", help="CSV columns whose cells are JSON (like a header 'a:json')"
    )
    source.add_argument("--delimiter", default=",", metavar="CHAR", help="CSV field delimiter (default: ,)")

    sending = command.add_argument_group("sending")
    sending.add_argument(
        "--batch-size",
        type=_int_between(1, MAX_BATCH_ROWS),
        default=MAX_BATCH_ROWS,
        metavar="N",
        help=f"users per request, at most {MAX_BATCH_ROWS} (default: {MAX_BATCH_ROWS}); "
        f"a request also holds at most {MAX_BODY_BYTES:,} bytes",
    )
    sending.add_argument(
        "--concurrency", type=_int_between(1, 64), default=4, metavar="N", help="requests in flight (default: 4)"
    )
    sending.add_argument(
        "--retries",
        type=_int_between(0, 100),
        default=8,
        metavar="N",
        help="retries of a request after 429, 5xx, 408, 409 or a network error, with backoff (default: 8)",
    )
    sending.add_argument(
        "--timeout", type=_positive_float, default=60.0, metavar="SECONDS", help="per request (default: 60)"
    )
    sending.add_argument(
        "--no-wait", action="store_true", help="do not wait for the server to finish writing after the last batch"
    )
    sending.add_argument(
        "--poll-interval",
        type=_positive_float,
        default=1.0,
        metavar="SECONDS",
        help="how often to check an unfinished operation (default: 1)",
    )

    files = command.add_argument_group("rejects and resume")
    files.add_argument(
        "--rejects",
        metavar="PATH",
        help=f"rejected rows, JSON lines (default: FILE.rejects.jsonl; stdin: {STDIN_REJECTS})",
    )
    files.add_argument(
        "--state", metavar="PATH", help="the resume state (default: FILE.import-state.json; stdin: none unless given)"
    )
    mode = files.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue an interrupted import from its state file")
    mode.add_argument("--restart", action="store_true", help="forget the state file and import the whole file again")
    files.add_argument("--force", action="store_true", help="with --resume: continue even though FILE changed")

    command.add_argument("--quiet", action="store_true", help="no progress line or per-row warnings; summary only")

    sign = commands.add_parser(
        "sign-user-token",
        help="print a Knock user token (RS256 JWT) for a user, signed with your signing key",
        description=SIGN_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sign.add_argument("user_id", metavar="USER_ID", help="the user the token is for (its sub claim)")
    sign.add_argument(
        "--grant",
        action="append",
        type=_grant,
        default=[],
        metavar="ENTITY=GRANT[,GRANT...]",
        help="grants on an entity, e.g. object:projects/p1=channel_data/read,channel_data/write; repeatable",
    )
    sign.add_argument(
        "--expires-in",
        type=_int_between(1, MAX_EXPIRES_IN),
        default=DEFAULT_EXPIRES_IN,
        metavar="SECONDS",
        help=f"lifetime of the token, 1 to {MAX_EXPIRES_IN:,} (default: {DEFAULT_EXPIRES_IN})",
    )
    sign.add_argument(
        "--key", metavar="PATH", help=f"the PEM file of the RSA private key (default: ${SIGNING_KEY_VARIABLE})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sign-user-token":
        return run_sign_user_token(args, os.environ, stdout=sys.stdout, stderr=sys.stderr)
    if args.command != "import":
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return run_import(args, os.environ, stdout=sys.stdout, stderr=sys.stderr)
    except KeyboardInterrupt:
        print("\nrecipients import: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run_sign_user_token(args: argparse.Namespace, environ: Mapping[str, str], *, stdout: TextIO, stderr: TextIO) -> int:
    """`recipients sign-user-token`: the token alone on stdout; returns the exit status."""
    try:
        pem = load_signing_key(args.key, environ)
        grants = merge_grants(args.grant) if args.grant else None
        token = sign_user_token(pem, args.user_id, grants, args.expires_in)
    except TokenError as error:
        print(f"recipients sign-user-token: error: {error}", file=stderr)
        return EXIT_ERROR
    print(token, file=stdout)
    return EXIT_OK


def _first(explicit: str | None, environ: Mapping[str, str], names: Sequence[str]) -> str | None:
    if explicit:
        return explicit
    return next((environ[name] for name in names if environ.get(name)), None)


def command_name(argv0: str | None = None, which: Callable[[str], str | None] = shutil.which) -> str:
    """How to run this tool again from here: `recipients` when that is on PATH, else the way it was run."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    started = Path(argv0)
    if started.name == "__main__.py" and started.parent.name == "importer":  # python -m importer
        return f"{shlex.quote(sys.executable)} -m importer"
    if started.name == PROG:
        on_path = which(PROG)
        if on_path and Path(on_path).resolve() == started.resolve():
            return PROG
        return shlex.quote(argv0)  # e.g. .venv/bin/recipients, as it was typed
    return PROG  # called from another program (or a test): the installed command


def _url(args: argparse.Namespace, environ: Mapping[str, str], previous: ImportState | None) -> str:
    """--url, else the URL the resumed import used, else the environment's."""
    url = args.url or (previous.url if previous is not None else None) or _first(None, environ, URL_VARIABLES)
    if not url:
        raise ImportFailed(f"no server URL: pass --url or set {URL_VARIABLES[0]}")
    return check_url(url)


def _prepare(args: argparse.Namespace, environ: Mapping[str, str], stderr: TextIO) -> tuple[Options, ImportState, bool]:
    """Check the arguments and the input; load or create the state. Raises `ImportFailed`."""
    if args.url:
        check_url(args.url)
    if not _first(args.key, environ, KEY_VARIABLES):
        raise ImportFailed(f"no API key: set {KEY_VARIABLES[0]} or pass --key")
    stdin = args.file == "-"
    fmt = format_for(args.file, args.format)
    json_columns = sorted({name.strip() for name in args.json_columns.split(",") if name.strip()})
    if json_columns and fmt != "csv":
        raise ImportFailed("--json-columns applies to CSV input only")
    if len(args.delimiter) != 1:
        raise ImportFailed("--delimiter must be one character")
    if stdin:
        fingerprint = Fingerprint.of("-")
    else:
        try:
            fingerprint = Fingerprint.of(args.file)
        except OSError as exc:
            raise ImportFailed(f"cannot open {args.file}: {exc.strerror or exc}") from None
    state_path = Path(args.state) if args.state else (None if stdin else Path(f"{args.file}.import-state.json"))
    rejects_path = Path(args.rejects or (STDIN_REJECTS if stdin else f"{args.file}.rejects.jsonl"))
    if state_path is None and (args.resume or args.restart):
        raise ImportFailed("--resume and --restart need --state when reading stdin")

    previous = None
    if state_path is not None:
        previous = load_for_run(state_path, fingerprint, resume=args.resume, restart=args.restart, force=args.force)
        if args.restart:
            state_path.unlink(missing_ok=True)
    url = _url(args, environ, previous)
    if previous is None:
        state = ImportState(input=fingerprint, format=fmt, json_columns=json_columns, delimiter=args.delimiter, url=url)
    else:
        state = previous
        if state.url is not None and url != state.url:
            note = f"recipients import: note: resuming against {url}; the import started against {state.url}"
            print(note, file=stderr)
        state.url = url
        state.input = fingerprint  # after --force, the changed file is the one this state now follows
        asked = (fmt, json_columns, args.delimiter)
        if asked != (state.format, state.json_columns, state.delimiter):
            print(
                "recipients import: note: resuming with the settings of the interrupted import (format "
                f"{state.format}, json columns {','.join(state.json_columns) or 'none'}, "
                f"delimiter {state.delimiter!r})",
                file=stderr,
            )
    options = Options(
        url=url,
        source=args.file,
        name="stdin" if stdin else args.file,
        rejects_path=rejects_path,
        state_path=state_path,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        wait=not args.no_wait,
        poll_interval=args.poll_interval,
        total_bytes=fingerprint.size,
        max_warnings=0 if args.quiet else 10,
    )
    return options, state, previous is not None


def run_import(args: argparse.Namespace, environ: Mapping[str, str], *, stdout: TextIO, stderr: TextIO) -> int:
    """`recipients import`: returns the exit status."""
    try:
        options, state, resumed = _prepare(args, environ, stderr)
    except ImportFinished as finished:
        if finished.state.summary:
            print(finished.state.summary, file=stdout)
        print(
            f"recipients import: {args.file} was imported before (finished {finished.state.updated_at}, state in "
            f"{finished.path}); nothing to do. To import it again: {command_name()} import {args.file} --restart",
            file=stderr,
        )
        return EXIT_OK
    except ImportFailed as exc:
        print(f"recipients import: error: {exc}", file=stderr)
        return EXIT_ERROR
    stop = threading.Event()
    progress = Progress(stderr, enabled=not args.quiet)
    client = RecipientsClient(
        options.url,
        str(_first(args.key, environ, KEY_VARIABLES)),
        timeout=args.timeout,
        retries=args.retries,
        stop=stop,
        on_retry=None if args.quiet else progress.message,
    )
    importer = Importer(options, client, state, resumed=resumed, stop=stop, progress=progress)
    restore = _handle_sigint(stop)
    try:
        summary = importer.run()
    except ImportFailed as exc:
        print(f"recipients import: error: {exc}", file=stderr)
        if options.state_path is not None and state.batches:
            print(
                f"recipients import: {len(state.batches)} batches were accepted before the error and are saved in "
                f"{options.state_path}; once the problem is fixed, continue with --resume",
                file=stderr,
            )
        return EXIT_ERROR
    finally:
        restore()
    print(summary.render(), file=stdout)
    if summary.interrupted:
        if options.state_path is not None and state.batches:
            same = " (with the same --key; the URL is in the state file)" if args.key else ""
            again = f"{command_name()} import {shlex.quote(args.file)} --resume{same}"
            print(
                f"recipients import: interrupted; progress is saved in {options.state_path}. Resume with: {again}",
                file=stderr,
            )
        else:
            print(
                "recipients import: interrupted before the server accepted any batch; run the command again",
                file=stderr,
            )
        return EXIT_INTERRUPTED
    return summary.exit_code


def _handle_sigint(stop: threading.Event) -> Callable[[], None]:
    """First Ctrl-C: stop sending and let requests in flight finish. Second: quit at once.

    The state file is always complete on disk (it is replaced atomically), so quitting at once loses
    at most the answers to the requests in flight: those batches are sent again by --resume.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            os.write(2, b"\nrecipients import: interrupted again; quitting now (continue later with --resume)\n")
            os._exit(EXIT_INTERRUPTED)
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore
