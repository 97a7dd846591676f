"""Builds openapi.json from the resolvers of the functions template.yaml routes to.

`python -m local.openapi` writes it, and the copy the docs function serves at GET /openapi.json;
`--check` fails when either committed file is stale.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import Server

from local.template import handler_location, http_api, load_template

REPO_ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = REPO_ROOT / "openapi.json"
SERVED_PATH = "/openapi.json"


def served_copy_path() -> Path:
    """The copy the function routed GET /openapi.json in template.yaml ships with: in its CodeUri."""
    function = next(route.function for route in http_api().routes if (route.method, route.path) == ("GET", SERVED_PATH))
    code_uri = str(load_template()["Resources"][function]["Properties"]["CodeUri"])
    return REPO_ROOT / code_uri / "openapi.json"


TAGS = [
    ("Users", "Identify, read, list, merge and delete users, one at a time or up to 1,000 in a bulk call"),
    ("Objects", "Objects in collections: set, read, list and delete, one at a time or in bulk"),
    ("Tenants", "Tenants and their settings"),
    ("Channel data", "A user's or an object's tokens and connections for a channel"),
    ("Preferences", "Preference sets of users and objects, whole or one part at a time"),
    ("Subscriptions", "Recipients subscribed to objects"),
    ("Audiences", "Members of audiences"),
    ("Schedules", "Workflow runs for a recipient at set times, once or repeating in the recipient's timezone"),
    ("Bulk operations", "The progress of a bulk call, and the rows it rejected"),
    ("Workflows", "Trigger workflow runs and cancel them"),
]
"""The resource groups of the docs page, in the order a reader meets them."""


def tag_for(path: str) -> str:
    """The group of a path: the part it acts on (channel data, preferences...) before the resource it is under."""
    for part, tag in (
        ("/channel_data", "Channel data"),
        ("/preferences", "Preferences"),
        ("subscriptions", "Subscriptions"),
        ("schedules", "Schedules"),
    ):
        if part in path:
            return tag
    for prefix, tag in (("/v1/users", "Users"), ("/v1/objects", "Objects"), ("/v1/tenants", "Tenants"),
                        ("/v1/audiences", "Audiences"), ("/v1/bulk_operations", "Bulk operations"),
                        ("/v1/workflows", "Workflows")):  # fmt: skip
        if path.startswith(prefix):
            return tag
    raise ValueError(f"{path}: no tag in local/openapi.py says which group of the docs it belongs to")


def _tagged(document: str) -> str:
    schema = json.loads(document)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            operation["tags"] = [tag_for(path)]
    schema["tags"] = [{"name": name, "description": description} for name, description in TAGS]
    return json.dumps(schema, indent=2, ensure_ascii=False)


def build_openapi() -> str:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # boto3 clients are created at import
    merged = OpenAPIMerge(
        title="Recipients API",
        version="1.0.0",
        description=(
            "Knock-compatible recipients API: users, objects and workflow triggers. "
            "Authenticate with `Authorization: Bearer sk_...`."
        ),
        servers=[Server(url="/", description="the API that serves this document")],  # the docs function names it
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
        security=[{"bearer": []}],
        on_conflict="error",
    )
    functions = sorted({route.function for route in http_api().routes if route.path is not None})
    for function in functions:
        module, _ = handler_location(load_template()["Resources"][function]["Properties"])
        app = importlib.import_module(module).app
        merged.add_schema(app.get_openapi_schema())
    return _tagged(merged.get_openapi_json_schema()) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if openapi.json is not up to date")
    args = parser.parse_args()
    document = build_openapi()
    outputs = (OPENAPI_PATH, served_copy_path())
    if args.check:
        stale = [path for path in outputs if not path.exists() or path.read_text(encoding="utf-8") != document]
        for path in stale:
            print(f"{path.relative_to(REPO_ROOT)} is stale: run `make openapi` and commit it", file=sys.stderr)
        if stale:
            return 1
        print("openapi.json is up to date")
        return 0
    for path in outputs:
        path.write_text(document, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
