"""`make invoke FN=<LogicalId> EVENT=events/<file>.json`: one function, one event, no Docker.

Stands in for `sam local invoke`: starts moto server, creates the template's resources, runs the
function's real handler with the event in the function's own environment and prints its result as
JSON on stdout. Everything else the function writes (logs, metrics) goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from local.emulator import FUNCTION_TYPE, Emulator
from local.template import resources_of_type

USAGE = "usage: python -m local.invoke <FunctionLogicalId> <event.json>"


def _fail(message: str) -> int:
    print(f"local.invoke: {message}", file=sys.stderr)
    return 2


def _load_event(path: str) -> dict[str, Any] | str:
    """The event, or why it cannot be used."""
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        return f"cannot read event file {path!r}: {exc.strerror}"
    except ValueError as exc:
        return f"event file {path!r} is not valid JSON: {exc}"
    return event if isinstance(event, dict) else f"event file {path!r} must hold a JSON object"


def _stdout_for_result() -> TextIO:
    """Keep the real stdout for the result; send everything else written to fd 1 to stderr."""
    sys.stdout.flush()
    result_stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return result_stream


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        return _fail(USAGE)
    function_name, event_path = args
    functions = sorted(resources_of_type(FUNCTION_TYPE))
    if function_name not in functions:
        return _fail(f"unknown function {function_name!r}; valid names: {', '.join(functions)}")
    event = _load_event(event_path)
    if isinstance(event, str):
        return _fail(event)

    output = _stdout_for_result()
    emulator = Emulator.start()
    try:
        result = emulator.invoke(function_name, event)
    except Exception as exc:
        traceback.print_exc()
        error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
        print(json.dumps(error), file=output, flush=True)
        return 1
    finally:
        sys.stdout.flush()
        emulator.stop()
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str), file=output, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
