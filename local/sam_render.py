"""The CloudFormation template that template.yaml becomes for given parameter values, as JSON on stdout.

    .tools/sam/bin/python -m local.sam_render [template.yaml] [Name=Value ...]

It runs with the SAM CLI's interpreter (`make validate` installs it) and uses the SAM CLI's own code,
as `sam validate --language-extensions` does: AWS::LanguageExtensions first (which resolves the
SnapStart Fn::Ifs with the given values), then the AWS::Serverless transform. CloudFormation does
the same when it deploys the template. Local CodeUri and ContentUri paths become placeholder S3 URIs.
Standard library and the SAM CLI only: it does not run in the project's virtualenv.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _NoManagedPolicies:
    """The template names no managed policy, so SAM never needs IAM's list of them."""

    def load(self) -> dict[str, str]:
        return {}


def render(template_path: Path, parameters: dict[str, str]) -> dict[str, Any]:
    from samcli.lib.translate.sam_template_validator import SamTemplateValidator
    from samcli.yamlhelper import yaml_parse

    validator = SamTemplateValidator(
        yaml_parse(template_path.read_text(encoding="utf-8")),
        _NoManagedPolicies(),
        region="us-east-1",
        parameter_overrides=parameters,
        language_extensions_enabled=True,
    )
    rendered: dict[str, Any] = yaml_parse(validator.get_translated_template_if_valid())
    return rendered


def main(arguments: list[str]) -> int:
    paths = [argument for argument in arguments if "=" not in argument]
    parameters = dict(argument.split("=", 1) for argument in arguments if "=" in argument)
    template_path = Path(paths[0]) if paths else DEFAULT_TEMPLATE
    json.dump(render(template_path, parameters), sys.stdout, indent=1, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
