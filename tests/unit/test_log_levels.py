"""The template's LogLevel does what it says, and no allowed level loses a metric.

Each function of the template gets `LoggingConfig.ApplicationLogLevel: !Ref LogLevel`, and Lambda
then filters what the function prints: a JSON line is taken at its `"level"`, and a line without a
valid level or timestamp, or that is not JSON at all, is taken as INFO; lines below the configured
level are dropped (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
Here, at each allowed level, real handlers run in a fresh interpreter with the environment the
template gives them (as `local.emulator` builds it, and as Lambda sets it), and that rule is applied
to everything they print.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.emulator import LocalResources, functions_of
from local.template import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
ALLOWED_LEVELS = load_template()["Parameters"]["LogLevel"]["AllowedValues"]
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def lambda_level(line: str) -> str:
    """The level Lambda gives a line a function printed (the documented rule, read strictly)."""
    try:
        record = json.loads(line)
    except ValueError:
        return "INFO"
    if not isinstance(record, dict):
        return "INFO"
    level = str(record.get("level", "")).upper()
    if level not in LAMBDA_LEVELS or not RFC_3339.fullmatch(str(record.get("timestamp", ""))):
        return "INFO"
    return level


def lambda_keeps(line: str, configured: str) -> bool:
    return LAMBDA_LEVELS.index(lambda_level(line)) >= LAMBDA_LEVELS.index(configured)


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ('{"level": "debug", "msg": "x", "timestamp": "2024-11-02T16:51:31.587199Z"}', "DEBUG"),
        ('{"level": "WARN", "timestamp": "2024-11-02T16:51:31.587+00:00"}', "WARN"),
        ('{"level": "WARNING", "timestamp": "2024-11-02T16:51:31.587+00:00"}', "INFO"),  # Python's name, not Lambda's
        ('{"level": "ERROR", "timestamp": "2024-11-02 16:51:31,587+0000"}', "INFO"),  # not RFC 3339
        ('{"level": "ERROR"}', "INFO"),
        ('{"_aws": {"Timestamp": 1730566291587}, "Count": [1.0]}', "INFO"),  # an EMF line as Powertools prints it
        ("Task timed out", "INFO"),
        ('["ERROR"]', "INFO"),
    ],
)
def test_lambda_level_follows_the_documented_rule(line: str, level: str) -> None:
    assert lambda_level(line) == level


def test_template_allows_only_lambdas_levels_that_log_no_request_bodies() -> None:
    # DEBUG and TRACE would make botocore and the resolver log request bodies (personal data)
    parameter = load_template()["Parameters"]["LogLevel"]
    assert parameter["AllowedValues"] == ["INFO", "WARN", "ERROR"]
    assert parameter["Default"] == "INFO"


def test_every_function_logs_json_at_the_log_level_parameter() -> None:
    config = load_template()["Globals"]["Function"]["LoggingConfig"]
    assert config["LogFormat"] == "JSON"  # Lambda filters by level only with JSON
    assert config["ApplicationLogLevel"] == {"Ref": "LogLevel"}
    assert config["SystemLogLevel"] == "WARN"
    assert "POWERTOOLS_LOG_LEVEL" not in load_template()["Globals"]["Function"]["Environment"]["Variables"]


def _printed_at(level: str) -> list[str]:
    """Every line the driver's handlers print to stdout or stderr, run with the template at `level`."""
    functions = functions_of(LocalResources(load_template(), parameter_overrides={"LogLevel": level}))
    inherited = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}
    environment = {
        **inherited,
        **functions["AuthorizerFunction"].environment,
        **functions["IdentifyFunction"].environment,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    assert (environment["AWS_LAMBDA_LOG_FORMAT"], environment["AWS_LAMBDA_LOG_LEVEL"]) == ("JSON", level)
    result = subprocess.run(
        [sys.executable, "-m", "tests.unit.log_level_driver"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def _json(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


@pytest.mark.parametrize("level", ALLOWED_LEVELS)
def test_at_each_allowed_level_metrics_survive_and_only_lines_below_it_are_dropped(level: str) -> None:
    # Given what the handlers print with the template's LogLevel at `level`
    printed = _printed_at(level)
    metric_lines = [line for line in printed if "_aws" in _json(line)]
    log_lines = [line for line in printed if "message" in _json(line) and "_aws" not in _json(line)]

    # Then every metric line, the cold start's among them, carries the configured level and survives
    names = {name for line in metric_lines for name in _json(line) if name[0].isupper()}
    assert {"ColdStart", "UsersIdentified"} <= names, printed
    assert {_json(line).get("level") for line in metric_lines} == {level}
    assert all(lambda_keeps(line, level) for line in metric_lines)
    # and the service prints exactly the log levels from `level` up (INFO, WARN and ERROR lines were
    # written), each of which Lambda keeps: what is below the level never reaches CloudWatch
    above = set(LAMBDA_LEVELS[LAMBDA_LEVELS.index(level) : LAMBDA_LEVELS.index("FATAL")])
    assert {_json(line).get("level") for line in log_lines} == above
    assert all(lambda_keeps(line, level) for line in log_lines)
