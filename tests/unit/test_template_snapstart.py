"""The SnapStart parameter, rendered both ways by the SAM CLI's own transform (local/sam_render.py).

Off (the default), the stack is what it was: no version, no alias, nothing snapshotted. On, each API
function and the authorizer publishes a snapshotted version behind the alias "live", which the
routes and the authorizer invoke, old versions are deleted, a new layer publishes new versions, and
nothing is granted beyond what the functions' policies say (tests/unit/test_template_policies.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from local.template import TEMPLATE_PATH, http_api, load_template, resources_of_type

REPO = Path(__file__).resolve().parents[2]
SAM_PYTHON = REPO / ".tools" / "sam" / "bin" / "python"
"""The SAM CLI's interpreter, which `make unit` and `make validate` install."""

API_FUNCTIONS = sorted({route.function for route in http_api().routes} | {"AuthorizerFunction"})
OTHER_FUNCTIONS = sorted(set(resources_of_type("AWS::Serverless::Function")) - set(API_FUNCTIONS))


def render(*parameters: str, template: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The CloudFormation template SAM makes of `template` with these Name=Value parameters."""
    assert SAM_PYTHON.exists(), "the SAM CLI is not installed: run make unit (or make validate) once"
    result = subprocess.run(
        [str(SAM_PYTHON), "-m", "local.sam_render", str(template), *parameters],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rendered: dict[str, Any] = json.loads(result.stdout)
    return rendered


@cache
def rendered(snapstart: str) -> dict[str, Any]:
    return render(f"SnapStart={snapstart}")


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in template["Resources"].items() if spec["Type"] == resource_type}


def versions_of(template: dict[str, Any], function: str) -> dict[str, dict[str, Any]]:
    return {
        name: spec
        for name, spec in of_type(template, "AWS::Lambda::Version").items()
        if spec["Properties"]["FunctionName"] == {"Ref": function}
    }


def test_snapstart_is_a_parameter_off_by_default() -> None:
    parameter = load_template()["Parameters"]["SnapStart"]
    assert parameter["Default"] == "false"
    assert parameter["AllowedValues"] == ["true", "false"]
    assert load_template()["Globals"]["Function"]["Runtime"] >= "python3.12"  # SnapStart for Python needs 3.12+


def test_without_snapstart_nothing_is_versioned_or_snapshotted() -> None:
    template = rendered("false")
    assert of_type(template, "AWS::Lambda::Version") == {}
    assert of_type(template, "AWS::Lambda::Alias") == {}
    assert [
        name for name, spec in of_type(template, "AWS::Lambda::Function").items() if "SnapStart" in spec["Properties"]
    ] == []
    authorizer = template["Resources"]["RecipientsApi"]["Properties"]["Body"]["components"]["securitySchemes"]
    uri = authorizer["BearerKeyAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerUri"]
    assert uri["Fn::Sub"][1]["__FunctionArn__"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}


def test_the_default_renders_as_snapstart_off() -> None:
    assert render() == rendered("false")


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_with_snapstart_each_api_function_publishes_a_snapshotted_version_behind_the_alias_live(function: str) -> None:
    template = rendered("true")
    assert template["Resources"][function]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    ((version_name, version),) = versions_of(template, function).items()
    assert version["DeletionPolicy"] == "Delete"  # an old version kept would keep its snapshot billed
    alias = template["Resources"][f"{function}Aliaslive"]
    assert alias["Type"] == "AWS::Lambda::Alias"
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_name, "Version"]}


@pytest.mark.parametrize("function", OTHER_FUNCTIONS)
def test_with_snapstart_the_queue_functions_stay_as_they_are(function: str) -> None:
    assert rendered("true")["Resources"][function] == rendered("false")["Resources"][function]
    assert versions_of(rendered("true"), function) == {}


def test_with_snapstart_every_route_and_the_authorizer_invoke_the_alias() -> None:
    template = rendered("true")
    body = template["Resources"]["RecipientsApi"]["Properties"]["Body"]
    routes = http_api()
    invoked = {}
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            invoked[f"{method.upper()} {path}"] = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    assert len(invoked) == len(routes.routes)
    for route in routes.routes:
        key = "X-AMAZON-APIGATEWAY-ANY-METHOD $default" if route.path is None else f"{route.method} {route.path}"
        assert f"${{{route.function}Aliaslive}}/invocations" in invoked[key], key
    authorizer = body["components"]["securitySchemes"]["BearerKeyAuthorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerUri"]["Fn::Sub"][1]["__FunctionArn__"] == {"Ref": "AuthorizerFunctionAliaslive"}

    # And API Gateway may invoke each alias, and nothing else
    permissions = of_type(template, "AWS::Lambda::Permission").values()
    gateway = [
        spec["Properties"] for spec in permissions if spec["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert {json.dumps(permission["FunctionName"]) for permission in gateway} == {
        json.dumps({"Ref": f"{function}Aliaslive"}) for function in API_FUNCTIONS
    }


def test_snapstart_adds_versions_and_aliases_and_no_iam() -> None:
    on, off = rendered("true")["Resources"], rendered("false")["Resources"]
    assert set(off) <= set(on)
    assert {on[name]["Type"] for name in set(on) - set(off)} == {"AWS::Lambda::Version", "AWS::Lambda::Alias"}
    assert of_type(rendered("true"), "AWS::IAM::Role") == of_type(rendered("false"), "AWS::IAM::Role")
    assert [
        name for name, spec in on.items() if spec["Type"].startswith("AWS::IAM::") and spec["Type"] != "AWS::IAM::Role"
    ] == []


def test_with_snapstart_a_new_layer_publishes_new_versions(tmp_path: Path) -> None:
    # Given the template deployed twice, with the same function code and two builds of the layer
    def with_layer(content_uri: str) -> dict[str, Any]:
        template = yaml.safe_load(json.dumps(load_template()))  # a deep copy
        template["Resources"]["RecipientsLayer"]["Properties"]["ContentUri"] = content_uri
        path = tmp_path / f"{content_uri.rsplit('/', 1)[1]}.json"
        path.write_text(json.dumps(template), encoding="utf-8")
        return render("SnapStart=true", template=path)

    first, second = with_layer("s3://artifacts/layer-1.zip"), with_layer("s3://artifacts/layer-2.zip")

    # Then each aliased function gets a new version, so the alias serves the new layer
    for function in API_FUNCTIONS:
        assert set(versions_of(first, function)).isdisjoint(versions_of(second, function)), function


@pytest.mark.parametrize("snapstart", ["true", "false"])
def test_cfn_lint_passes_either_way(snapstart: str) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--parameters",
            f"SnapStart={snapstart}",
            "--",
            str(TEMPLATE_PATH),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
