"""Browser tests: Knock's browser client, `@knocklabs/client`, in headless Chromium against the local API.

They judge what only a browser checks: CORS, the public key with a user token, and the client's own
requests. The API is a local server of their own (`python -m local.server`, also when `API_URL` names a
deployed stage: its signing key is not ours), verifying user tokens with a key pair made for the
session and handed to it as `RECIPIENTS_SIGNING_PUBLIC_KEY`, so `.local-keys/` plays no part. Its data
live in its own moto server and go with it: nothing needs cleaning up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.browser.driver import BrowserApi, SigningKey
from tests.local_api import LOCAL_API_KEY, secret_key_client, start_local_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: @knocklabs/client in headless Chromium against the local API")


@pytest.fixture(scope="package")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    path = tmp_path_factory.mktemp("signing-key") / "user-token-signing-key.pem"
    path.write_text(private_pem, encoding="ascii")
    path.chmod(0o600)
    return SigningKey(private_pem, path, public_pem)


@pytest.fixture(scope="package")
def browser_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, signing_key: SigningKey
) -> BrowserApi:
    """The browser tests' local API, its secret key and the public key browsers use (as the server reads them)."""
    log = tmp_path_factory.mktemp("browser-api") / "server.log"
    key = os.environ.get("RECIPIENTS_API_KEY") or LOCAL_API_KEY
    environment = {"RECIPIENTS_SIGNING_PUBLIC_KEY": signing_key.public_pem}
    target = start_local_server(request, key, log, environment=environment)
    return BrowserApi(target, os.environ.get("RECIPIENTS_PUBLIC_API_KEY") or "pk_test_local")


@pytest.fixture(scope="package")
def secret_http(browser_api: BrowserApi) -> Iterator[httpx.Client]:
    """An httpx client for the browser tests' API with the secret key: what a backend sees."""
    with secret_key_client(browser_api.target) as client:
        yield client
