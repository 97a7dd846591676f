"""Every samconfig.toml environment deploys with parameter values template.yaml accepts, and none logs at DEBUG.

CloudFormation checks the values only when a deploy reaches it; this finds a bad one before that.
DEBUG is refused by LogLevel's AllowedValues: at that level botocore and Powertools log request bodies.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from local.template import load_template

SAMCONFIG = Path(__file__).resolve().parents[2] / "samconfig.toml"


def parameter_overrides(config: dict[str, Any]) -> dict[str, dict[str, str]]:
    """{"<environment>.<command>": {parameter: value}} for every `parameter_overrides` in a samconfig."""
    found = {}
    for environment, commands in config.items():
        if not isinstance(commands, dict):
            continue  # `version`
        for command, section in commands.items():
            overrides = section.get("parameters", {}).get("parameter_overrides")
            if overrides is None:
                continue
            words = [
                word
                for text in ([overrides] if isinstance(overrides, str) else overrides)
                for word in shlex.split(text)
            ]
            values = {}
            for word in words:
                name, equals, value = word.partition("=")
                assert equals, f"{environment}.{command}: {word!r} is not Name=Value"
                values[name] = value
            found[f"{environment}.{command}"] = values
    return found


def violations(name: str, value: str, template: dict[str, Any]) -> list[str]:
    """What is wrong with `name=value` for this template (what CloudFormation would refuse)."""
    spec = template["Parameters"].get(name)
    if spec is None:
        return [f"{name}: no such parameter in template.yaml"]
    wrong = []
    if "AllowedValues" in spec and value not in [str(allowed) for allowed in spec["AllowedValues"]]:
        wrong.append(f"{name}={value}: not one of {spec['AllowedValues']}")
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        wrong.append(f"{name}={value}: does not match {spec['AllowedPattern']}")
    if spec["Type"] == "Number":
        try:
            number = float(value)
        except ValueError:
            return [*wrong, f"{name}={value}: not a number"]
        if "MinValue" in spec and number < float(spec["MinValue"]):
            wrong.append(f"{name}={value}: below {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            wrong.append(f"{name}={value}: above {spec['MaxValue']}")
    for bound, check in (("MinLength", int.__lt__), ("MaxLength", int.__gt__)):
        if bound in spec and check(len(value), int(spec[bound])):
            wrong.append(f"{name}={value}: breaks {bound} {spec[bound]}")
    return wrong


def all_violations(config: dict[str, Any]) -> list[str]:
    template = load_template()
    return [
        f"{where}: {problem}"
        for where, values in parameter_overrides(config).items()
        for name, value in values.items()
        for problem in violations(name, value, template)
    ]


def test_every_environment_deploys_with_values_the_template_accepts() -> None:
    config = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    assert "default.deploy" in parameter_overrides(config)
    assert all_violations(config) == []


def test_no_environment_logs_at_debug() -> None:
    config = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    levels = {where: values.get("LogLevel") for where, values in parameter_overrides(config).items()}
    assert [where for where, level in levels.items() if level is not None and level.upper() in ("DEBUG", "TRACE")] == []
    assert "DEBUG" not in load_template()["Parameters"]["LogLevel"]["AllowedValues"]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ("LogLevel=DEBUG", "LogLevel=DEBUG: not one of"),
        ("LogRetentionDays=2", "LogRetentionDays=2: not one of"),
        ("BulkMaxReceiveCount=1", "BulkMaxReceiveCount=1: below 3"),
        ("ApiKeyCacheSeconds=many", "ApiKeyCacheSeconds=many: not a number"),
        ('ApiKeyHashesParameterName="no leading slash"', "does not match"),
        ("Nonsense=1", "Nonsense: no such parameter"),
    ],
)
def test_a_value_the_template_refuses_is_found(overrides: str, problem: str) -> None:
    config = {"version": 0.1, "prod": {"deploy": {"parameters": {"parameter_overrides": overrides}}}}
    (found,) = all_violations(config)
    assert found.startswith("prod.deploy: ") and problem in found
