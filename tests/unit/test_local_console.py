"""What make run prints: one line per request, and the functions' output only as far as asked."""

from __future__ import annotations

import io
import json
import threading

import pytest

from local.console import FunctionOutputFilter, function_running, request_line

INFO_LOG = json.dumps({"level": "INFO", "message": "user identified", "timestamp": "2025-01-01T00:00:00.000+00:00"})
WARN_LOG = json.dumps({"level": "WARN", "message": "PutEvents failed", "timestamp": "2025-01-01T00:00:00.000+00:00"})
ERROR_LOG = json.dumps({"level": "ERROR", "message": "unhandled error", "timestamp": "2025-01-01T00:00:00.000+00:00"})
EMF_LINE = json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}, "UsersIdentified": [1.0], "level": "INFO"})


def test_request_line_names_method_path_status_and_milliseconds() -> None:
    assert request_line("GET", "/v1/users/u1", 404, 12.4, b'{"code":"resource_missing"}') == (
        "GET /v1/users/u1 → 404 in 12 ms"
    )


def test_request_line_names_the_run_a_trigger_started() -> None:
    body = b'{"workflow_run_id":"0b6f6a4e-8f0e-4a57-9d3c-1d2f5e6a7b8c"}'

    line = request_line("POST", "/v1/workflows/new-comment/trigger", 200, 40.6, body)

    assert line == "POST /v1/workflows/new-comment/trigger → 200 in 41 ms [run 0b6f6a4e-8f0e-4a57-9d3c-1d2f5e6a7b8c]"


def test_request_line_names_the_bulk_operation_of_a_bulk_call_or_a_poll() -> None:
    body = json.dumps({"__typename": "BulkOperation", "id": "op-1", "status": "queued"}).encode()

    assert request_line("POST", "/v1/users/bulk/identify", 200, 3, body) == (
        "POST /v1/users/bulk/identify → 200 in 3 ms [bulk operation op-1]"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe{",
        b'["workflow_run_id"]',
        b'{"id": "u1", "__typename": "User"}',
        b'{"workflow_run_id": 7}',
        b'{"__typename": "BulkOperation"}',
        b'{"workflow_run_id": "r1", "padding": "' + b"x" * 70_000 + b'"}',  # pages are not read
    ],
)
def test_request_line_names_nothing_for_other_answers(body: bytes) -> None:
    assert request_line("POST", "/p", 200, 1, body) == "POST /p → 200 in 1 ms"


def test_filter_passes_what_is_printed_outside_a_function() -> None:
    out = io.StringIO()

    print(INFO_LOG, file=FunctionOutputFilter(out, show_all=False))

    assert out.getvalue() == INFO_LOG + "\n"


def test_filter_keeps_a_functions_warnings_and_errors_but_not_its_info_logs_or_metrics() -> None:
    out = io.StringIO()
    stream = FunctionOutputFilter(out, show_all=False)

    with function_running():
        for line in (INFO_LOG, EMF_LINE, WARN_LOG, "plain text", ERROR_LOG):
            print(line, file=stream)  # two writes each: the text, then the newline
    print("event workflow.triggered", file=stream)

    assert out.getvalue().splitlines() == [WARN_LOG, ERROR_LOG, "event workflow.triggered"]


def test_filter_with_show_all_passes_a_functions_logs_and_metrics() -> None:
    out = io.StringIO()
    stream = FunctionOutputFilter(out, show_all=True)

    with function_running():
        stream.write(INFO_LOG + "\n" + EMF_LINE + "\n")

    assert out.getvalue().splitlines() == [INFO_LOG, EMF_LINE]


def test_filter_tells_threads_apart() -> None:
    out = io.StringIO()
    stream = FunctionOutputFilter(out, show_all=False)
    in_function, printed = threading.Event(), threading.Event()

    def function() -> None:
        with function_running():
            stream.write(INFO_LOG[:10])
            in_function.set()
            printed.wait(5)
            stream.write(INFO_LOG[10:] + "\n" + WARN_LOG[:5])
        stream.write("outside\n")

    thread = threading.Thread(target=function)
    thread.start()
    in_function.wait(5)
    stream.write("event line\n")  # another thread, meanwhile: not a function's output
    printed.set()
    thread.join(5)

    assert out.getvalue() == "event line\noutside\n"


def test_filter_hands_other_attributes_to_the_stream() -> None:
    out = io.StringIO()

    assert FunctionOutputFilter(out, show_all=False).getvalue is not None
    assert FunctionOutputFilter(out, show_all=False).isatty() is False
