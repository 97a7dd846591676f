"""python -m smoke URL [--key KEY]: run the smoke checks against the API at URL.

Prints one line per check, `ok` or `FAIL` and why, and exits 0 when every check passed, 1 when one
failed, 2 when it could not run. The key is read from --key or RECIPIENTS_API_KEY and never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse

from smoke.checks import Api, Run, run_checks

DEFAULT_BUDGET_SECONDS = 120.0


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m smoke",
        description="A short, bounded check of a Recipients API: keys, identify/get/delete, a bulk, a trigger.",
    )
    parser.add_argument("url", help="the API's base URL (the stack output ApiUrl), e.g. https://abc.execute-api...")
    parser.add_argument("--key", help="a secret key of that API (default: $RECIPIENTS_API_KEY)")
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_SECONDS,
        help=f"seconds the checks may take in all (default {DEFAULT_BUDGET_SECONDS:.0f}; clean-up has its own)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    key = arguments.key or os.environ.get("RECIPIENTS_API_KEY", "")
    parts = urllib.parse.urlsplit(arguments.url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        print(f"smoke: {arguments.url!r} is not an http(s) base URL", file=sys.stderr)
        return 2
    if not key.startswith("sk_"):
        print("smoke: give a secret key (sk_...) with --key or RECIPIENTS_API_KEY", file=sys.stderr)
        return 2

    def redact(text: str) -> str:
        return text.replace(key, "sk_***")

    base_url = arguments.url.rstrip("/")
    started = time.monotonic()
    run = Run(Api(base_url, key, started + arguments.budget))
    print(f"smoke test of {redact(base_url)}, ids {run.run_id}-*", flush=True)
    passed = failed = 0
    for outcome in run_checks(run):
        status = "ok  " if outcome.passed else "FAIL"
        print(redact(f"{status}  {outcome.name}: {outcome.detail} ({outcome.milliseconds:.0f} ms)"), flush=True)
        passed, failed = (passed + 1, failed) if outcome.passed else (passed, failed + 1)
    verdict = "all passed" if not failed else f"{failed} FAILED"
    print(f"{passed + failed} checks, {verdict}, in {time.monotonic() - started:.1f} s", flush=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
