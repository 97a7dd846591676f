"""GET /console and GET /console/{asset}: the console function, with events/console.json and console_asset.json."""

from __future__ import annotations

import base64
import gzip
import json
import re
from typing import Any

import pytest

from functions.console.app import STATIC, lambda_handler
from recipients.http.console import CONTENT_SECURITY_POLICY
from tests.conftest import EventLoader, FakeLambdaContext

PLAIN = {"accept-encoding": None}


def _asset_event(load_event: EventLoader, name: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    event = load_event("console_asset", path={"asset": name}, headers=headers or {})
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/console/{name}"
    return event


def _body(response: dict[str, Any]) -> str:
    if response["headers"].get("Content-Encoding") == "gzip":
        return gzip.decompress(base64.b64decode(response["body"])).decode("utf-8")
    return str(response["body"])


def test_console_sample_returns_the_page_gzipped_with_strict_headers(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/console.json is GET /console from a browser that accepts gzip, with no key
    response = lambda_handler(load_event("console"), lambda_context)

    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["ETag"])
    assert _body(response) == (STATIC / "index.html").read_text(encoding="utf-8")


def test_console_policy_allows_only_its_own_scripts_and_styles() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_console_page_has_no_inline_script_or_style_and_nothing_from_elsewhere() -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")

    assert re.findall(r"<script[^>]*>", page) == ['<script type="module" src="console/app.js">']
    assert "<style" not in page and " style=" not in page and " on" not in re.sub(r"<p[^>]*>.*?</p>", "", page)
    assert "http://" not in page and "https://" not in page and "//" not in page


def test_console_assets_load_nothing_from_another_origin_and_never_write_html() -> None:
    scripts = {path.name: path.read_text(encoding="utf-8") for path in STATIC.glob("*.js")}

    assert {"app.js", "api.js", "dom.js", "json.js", "importer.js", "rows.js"} <= set(scripts)
    for name, script in scripts.items():
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", script), (
            name
        )
        imports = re.findall(r"""^import .*? from "([^"]+)";$""", script, flags=re.MULTILINE | re.DOTALL)
        assert all(re.fullmatch(r"\./[a-z]+\.js", source) for source in imports), name  # only its siblings
        assert "import(" not in script and "fetch(" not in script.replace("await fetch(url(", ""), name
        assert "localStorage.setItem(KEY" not in script, name
    assert "sessionStorage.setItem(KEY_ITEM" in scripts["api.js"] and "localStorage." not in scripts["api.js"]
    assert not any("console.log" in script for script in scripts.values())  # nothing, the key least of all, is logged


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("dom.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
    ],
)
def test_console_asset_is_served_with_its_type_and_the_same_headers(
    load_event: EventLoader, lambda_context: FakeLambdaContext, name: str, content_type: str
) -> None:
    response = lambda_handler(_asset_event(load_event, name, PLAIN), lambda_context)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == content_type
    assert response["headers"]["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert "Content-Encoding" not in response["headers"]
    assert response["body"] == (STATIC / name).read_text(encoding="utf-8")


def test_console_asset_sample_is_gzipped(load_event: EventLoader, lambda_context: FakeLambdaContext) -> None:
    response = lambda_handler(load_event("console_asset"), lambda_context)

    assert response["statusCode"] == 200
    assert _body(response) == (STATIC / "app.js").read_text(encoding="utf-8")


def test_console_asset_with_a_matching_etag_is_a_bodyless_304(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given the ETag the browser got for app.css
    first = lambda_handler(_asset_event(load_event, "app.css", PLAIN), lambda_context)
    etag = first["headers"]["ETag"]

    # When it revalidates with it (among others)
    again = lambda_handler(_asset_event(load_event, "app.css", {"if-none-match": f'"other", {etag}'}), lambda_context)
    stale = lambda_handler(_asset_event(load_event, "app.css", {**PLAIN, "if-none-match": '"other"'}), lambda_context)

    # Then an unchanged file is a 304 without a body, and another tag gets the file
    assert again["statusCode"] == 304 and again["body"] == "" and again["headers"]["ETag"] == etag
    assert "Content-Encoding" not in again["headers"]
    assert stale["statusCode"] == 200 and stale["body"] == first["body"]


@pytest.mark.parametrize(
    "name", ["index.html", "..%2Fapp.py", "app.py", "App.js", "missing.js", ".app.js", "x" * 300 + ".js"]
)
def test_console_asset_outside_the_served_files_is_a_knock_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext, name: str
) -> None:
    response = lambda_handler(_asset_event(load_event, name, PLAIN), lambda_context)

    assert response["statusCode"] == 404
    body = json.loads(response["body"])
    assert body["code"] == "resource_missing" and body["status"] == 404
    assert "console asset" in body["message"]
