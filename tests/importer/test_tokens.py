"""`recipients sign-user-token`: Knock user tokens as @knocklabs/node's signUserToken makes them.

Tokens are checked with PyJWT and the public key; one test runs the real Node SDK (one Node process)
and compares its tokens with ours, byte for byte when both sign the same claims in the same second.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from importer.cli import main
from importer.tokens import (
    MAX_EXPIRES_IN,
    TokenError,
    load_signing_key,
    merge_grants,
    parse_grant,
    sign_user_token,
)

NODE_PROJECT = Path(__file__).resolve().parents[1] / "contract" / "node"
KNOCK = "https://api.knock.app/v1"


@dataclass(frozen=True)
class SignResult:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class KeyPair:
    pem: bytes  # PKCS#8, as Knock's dashboard gives it and as the Node SDK (jose's importPKCS8) requires
    public: rsa.RSAPublicKey

    @property
    def base64(self) -> str:
        return base64.b64encode(self.pem).decode("ascii")


def _pkcs8(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _rsa_key() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(_pkcs8(key), key.public_key())


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return _rsa_key()


@pytest.fixture(scope="module")
def other_key() -> KeyPair:
    return _rsa_key()


@pytest.fixture
def key_file(tmp_path: Path, key: KeyPair) -> Path:
    path = tmp_path / "signing-key.pem"
    path.write_bytes(key.pem)
    return path


@pytest.fixture
def sign(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., SignResult]:
    """`recipients sign-user-token ARGS` in this process, with KNOCK_SIGNING_KEY as given (unset by default)."""
    monkeypatch.delenv("KNOCK_SIGNING_KEY", raising=False)

    def run(*args: str, signing_key: str | None = None) -> SignResult:
        if signing_key is not None:
            monkeypatch.setenv("KNOCK_SIGNING_KEY", signing_key)
        try:
            code = main(["sign-user-token", *args])
        except SystemExit as raised:  # argparse's usage errors
            code = raised.code if isinstance(raised.code, int) else 2
        out, err = capsys.readouterr()
        return SignResult(code, out, err)

    return run


def _verified(token: str, key: KeyPair) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, key.public, algorithms=["RS256"])
    return claims


def _token(result: SignResult) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    assert result.out.endswith("\n") and result.out.count("\n") == 1, "the token alone, on one line"
    return result.out.removesuffix("\n")


# --- the token ---------------------------------------------------------------------------------------


def test_token_verifies_with_the_public_key_and_has_exactly_sub_iat_exp(
    sign: Callable[..., SignResult], key_file: Path, key: KeyPair
) -> None:
    before = int(time.time())
    token = _token(sign("user_1", "--key", str(key_file)))
    after = int(time.time())

    claims = _verified(token, key)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    assert list(claims) == ["sub", "iat", "exp"]  # no grants claim without --grant
    assert claims["sub"] == "user_1"
    assert before <= claims["iat"] <= after
    assert claims["exp"] == claims["iat"] + 3600


@pytest.mark.parametrize("seconds", [1, 60, MAX_EXPIRES_IN])
def test_expires_in_sets_exp_from_iat(
    sign: Callable[..., SignResult], key_file: Path, key: KeyPair, seconds: int
) -> None:
    token = _token(sign("user_1", "--key", str(key_file), "--expires-in", str(seconds)))

    claims = jwt.decode(token, key.public, algorithms=["RS256"], options={"verify_exp": False})
    assert claims["exp"] == claims["iat"] + seconds


@pytest.mark.parametrize(
    ("entity", "uri"),
    [
        ("user:user_2", f"{KNOCK}/users/user_2"),
        ("object:projects/p1", f"{KNOCK}/objects/projects/p1"),
        ("tenant:acme", f"{KNOCK}/objects/$tenants/acme"),
        (f"{KNOCK}/objects/boards/b9", f"{KNOCK}/objects/boards/b9"),
        ("user:a:b=c", f"{KNOCK}/users/a:b=c"),  # the entity ends at the last '='
    ],
)
def test_grants_map_each_entity_form_to_its_uri(
    sign: Callable[..., SignResult], key_file: Path, key: KeyPair, entity: str, uri: str
) -> None:
    token = _token(sign("user_1", "--key", str(key_file), "--grant", f"{entity}=channel_data/read,channel_data/write"))

    claims = _verified(token, key)
    assert list(claims) == ["sub", "grants", "iat", "exp"]
    assert claims["grants"] == {uri: {"channel_data/read": [], "channel_data/write": []}}


def test_repeated_grants_merge_per_entity(sign: Callable[..., SignResult], key_file: Path, key: KeyPair) -> None:
    token = _token(
        sign(
            "user_1",
            "--key",
            str(key_file),
            "--grant",
            "object:projects/p1=channel_data/read",
            "--grant",
            "tenant:acme=slack/channels_read,ms_teams/channels_read",
            "--grant",
            "object:projects/p1=channel_data/write",
            "--grant",
            "user:user_1=user/feed_read",
        )
    )

    assert _verified(token, key)["grants"] == {
        f"{KNOCK}/objects/projects/p1": {"channel_data/read": [], "channel_data/write": []},
        f"{KNOCK}/objects/$tenants/acme": {"slack/channels_read": [], "ms_teams/channels_read": []},
        f"{KNOCK}/users/user_1": {"user/feed_read": []},
    }


# --- the signing key ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["base64", "pem"])
def test_knock_signing_key_holds_the_pem_or_its_base64(
    sign: Callable[..., SignResult], key: KeyPair, encoding: str
) -> None:
    value = key.base64 if encoding == "base64" else key.pem.decode("ascii")
    assert encoding != "base64" or value.startswith("LS0tLS1CRUdJTi")

    token = _token(sign("user_1", signing_key=value))

    assert _verified(token, key)["sub"] == "user_1"


def test_key_file_wins_over_the_environment(
    sign: Callable[..., SignResult], key_file: Path, key: KeyPair, other_key: KeyPair
) -> None:
    token = _token(sign("user_1", "--key", str(key_file), signing_key=other_key.base64))

    assert _verified(token, key)["sub"] == "user_1"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other_key.public, algorithms=["RS256"])


def test_a_traditional_rsa_pem_file_is_accepted(sign: Callable[..., SignResult], tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa.pem"  # -----BEGIN RSA PRIVATE KEY-----, as `openssl genrsa -traditional` writes
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )

    token = _token(sign("user_1", "--key", str(path)))

    assert jwt.decode(token, private.public_key(), algorithms=["RS256"])["sub"] == "user_1"


def _unusable_key(case: str, tmp_path: Path, key: KeyPair) -> tuple[list[str], str | None]:
    """The arguments and the KNOCK_SIGNING_KEY (None: unset) of each case below."""
    file_contents: dict[str, Callable[[], bytes]] = {
        "not-pem": lambda: b"hello",
        "ec-file": lambda: _pkcs8(ec.generate_private_key(ec.SECP256R1())),
        "public-key": lambda: key.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "1024-bits": lambda: _pkcs8(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        "truncated": lambda: key.pem[:200],
        "encrypted": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
        ),
    }
    if case in file_contents:
        path = tmp_path / f"{case}.pem"
        path.write_bytes(file_contents[case]())
        return ["--key", str(path)], None
    return {
        "no-key": ([], None),
        "blank-env": ([], "  \n"),
        "missing-file": (["--key", str(tmp_path / "absent.pem")], None),
        "directory": (["--key", str(tmp_path)], None),
        "ec-env": ([], base64.b64encode(_pkcs8(ec.generate_private_key(ec.SECP256R1()))).decode("ascii")),
        "env-not-a-key": ([], "sk_test_123"),
        "env-bad-base64": ([], "LS0tLS1CRUdJTi!!!"),
    }[case]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no-key", "no signing key: pass --key PATH or set KNOCK_SIGNING_KEY"),
        ("blank-env", "no signing key: pass --key PATH or set KNOCK_SIGNING_KEY"),
        ("missing-file", "cannot read the signing key"),
        ("directory", "cannot read the signing key"),
        ("not-pem", "holds neither a PEM key (-----BEGIN ...) nor the base64 of one"),
        ("ec-file", "the signing key is not an RSA private key (RS256 needs one), it is an EC key"),
        ("ec-env", "the signing key is not an RSA private key"),
        ("public-key", "the signing key is not a PEM private key"),
        ("1024-bits", "the signing key has 1024 bits; RS256 needs at least 2048"),
        ("truncated", "the signing key is not a PEM private key"),
        ("encrypted", "the signing key is encrypted: give the key without a passphrase"),
        ("env-not-a-key", "KNOCK_SIGNING_KEY holds neither a PEM key"),
        ("env-bad-base64", "KNOCK_SIGNING_KEY starts like a base64-encoded PEM key but is not valid base64"),
    ],
)
def test_an_unusable_key_is_one_line_on_stderr_exit_2_and_no_token(
    sign: Callable[..., SignResult],
    tmp_path: Path,
    key: KeyPair,
    case: str,
    message: str,
) -> None:
    args, env_value = _unusable_key(case, tmp_path, key)

    result = sign("user_1", *args, signing_key=env_value)

    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("recipients sign-user-token: error: ")
    assert result.err.count("\n") == 1 and result.err.endswith("\n")
    assert message in result.err
    assert "PRIVATE KEY" not in result.err and key.base64[30:60] not in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grant", "object:projects/p1=channel_data/delete"], "unknown grant 'channel_data/delete'"),
        (["--grant", "user:u2=user/feed_read,feed_read"], "unknown grant 'feed_read'"),
        (["--grant", "team:t1=channel_data/read"], "unknown entity 'team:t1'"),
        (["--grant", "object:projects=channel_data/read"], "an object is object:COLLECTION/ID"),
        (["--grant", "user:=channel_data/read"], "unknown entity 'user:'"),
        (["--grant", "http://api.knock.app/v1/users/u1=channel_data/read"], "unknown entity"),
        (["--grant", "user:u2"], "is not ENTITY=GRANT[,GRANT...]"),
        (["--grant", "user:u2="], "no grant for 'user:u2'"),
        (["--expires-in", "0"], "argument --expires-in: must be between 1 and 31536000"),
        (["--expires-in", str(MAX_EXPIRES_IN + 1)], "argument --expires-in: must be between 1 and 31536000"),
        (["--expires-in", "1h"], "argument --expires-in: expected a whole number, got '1h'"),
    ],
)
def test_bad_grants_and_lifetimes_exit_2_naming_them(
    sign: Callable[..., SignResult], key_file: Path, args: list[str], message: str
) -> None:
    result = sign("user_1", "--key", str(key_file), *args)

    assert (result.code, result.out) == (2, "")
    assert message in result.err


def test_an_empty_user_id_exits_2(sign: Callable[..., SignResult], key_file: Path) -> None:
    result = sign("", "--key", str(key_file))

    assert (result.code, result.out) == (2, "")
    assert result.err == "recipients sign-user-token: error: the user id must not be empty\n"


# --- the module, for other code ----------------------------------------------------------------------


def test_sign_user_token_with_a_fixed_clock(key: KeyPair) -> None:
    grants = parse_grant("tenant:acme=user/feed_read")

    token = sign_user_token(key.pem, "user_1", grants, 120, now=1_700_000_000)

    claims = jwt.decode(token, key.public, algorithms=["RS256"], options={"verify_exp": False})
    assert claims == {
        "sub": "user_1",
        "grants": {f"{KNOCK}/objects/$tenants/acme": {"user/feed_read": []}},
        "iat": 1_700_000_000,
        "exp": 1_700_000_120,
    }
    assert sign_user_token(key.pem, "user_1", grants, 120, now=1_700_000_000) == token  # RS256 is deterministic
    with pytest.raises(TokenError, match="between 1 and 31,536,000 seconds"):
        sign_user_token(key.pem, "user_1", None, 0)


def test_load_signing_key_reads_the_given_mapping_not_the_process_environment(key: KeyPair, key_file: Path) -> None:
    assert load_signing_key(None, {"KNOCK_SIGNING_KEY": key.base64}) == key.pem.strip()
    assert load_signing_key(str(key_file), {"KNOCK_SIGNING_KEY": "ignored"}) == key.pem.strip()
    with pytest.raises(TokenError, match="no signing key"):
        load_signing_key(None, {})


# --- the command line --------------------------------------------------------------------------------


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--help"])
    assert raised.value.code == 0
    assert "sign-user-token" in capsys.readouterr().out

    with pytest.raises(SystemExit) as raised:
        main(["sign-user-token", "--help"])
    text = capsys.readouterr().out
    assert raised.value.code == 0
    for part in ("USER_ID", "--grant", "--expires-in", "--key", "KNOCK_SIGNING_KEY", "LS0tLS1CRUdJTi", "$tenants"):
        assert part in text, part


def test_installed_command_prints_only_the_token(tmp_path: Path, key: KeyPair) -> None:
    command = shutil.which("recipients", path=str(Path(sys.executable).parent))
    assert command is not None, "run `uv sync`: the recipients entry point is not installed"
    env = {**os.environ, "KNOCK_SIGNING_KEY": key.base64}

    result = subprocess.run(
        [command, "sign-user-token", "user_1"], capture_output=True, text=True, timeout=30, env=env, check=False
    )

    assert (result.returncode, result.stderr) == (0, "")
    token = result.stdout.removesuffix("\n")
    assert "\n" not in token and token.count(".") == 2
    assert _verified(token, key)["sub"] == "user_1"


# --- the Node SDK -------------------------------------------------------------------------------------

NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
import { buildUserTokenGrant, Grants, signUserToken } from '@knocklabs/node';

const input = JSON.parse(readFileSync(0, 'utf8'));
const plain = await signUserToken(input.userId, { signingKey: input.signingKey });
const grants = [
  buildUserTokenGrant({ type: 'user', id: 'user_2' }, [Grants.UserFeedRead]),
  buildUserTokenGrant({ type: 'object', collection: 'projects', id: 'p1' }, [Grants.ChannelDataRead]),
  buildUserTokenGrant({ type: 'tenant', id: 'acme' }, [Grants.SlackChannelsRead, Grants.MsTeamsChannelsRead]),
  buildUserTokenGrant({ type: 'object', collection: 'projects', id: 'p1' }, [Grants.ChannelDataWrite]),
];
Date.now = () => input.now * 1000;  // the same second as the Python side, for byte-for-byte equal tokens
const frozen = await signUserToken(input.userId, { signingKey: input.signingKey, expiresInSeconds: 600, grants });
process.stdout.write(JSON.stringify({ plain, frozen }));
"""


def test_tokens_match_the_node_sdk(sign: Callable[..., SignResult], key_file: Path, key: KeyPair) -> None:
    node = shutil.which("node")
    assert node is not None, "needs Node 20 (make test and make unit install @knocklabs/node)"
    assert (NODE_PROJECT / "node_modules" / "@knocklabs" / "node").is_dir(), "run make unit: it installs the Node SDK"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("KNOCK_")}
    payload = {"userId": "user_1", "signingKey": key.base64, "now": 1_700_000_000}

    finished = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT],
        cwd=NODE_PROJECT,
        env=environment,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    from_node = json.loads(finished.stdout)
    ours = _token(sign("user_1", "--key", str(key_file)))

    # Without grants: the same header, the same claims (names and order); only the clock differs
    node_plain = from_node["plain"]
    assert jwt.get_unverified_header(node_plain) == jwt.get_unverified_header(ours) == {"alg": "RS256", "typ": "JWT"}
    node_claims, our_claims = _verified(node_plain, key), _verified(ours, key)
    assert list(node_claims) == list(our_claims) == ["sub", "iat", "exp"]
    assert node_claims["sub"] == our_claims["sub"] == "user_1"
    assert node_claims["exp"] - node_claims["iat"] == our_claims["exp"] - our_claims["iat"] == 3600
    # With grants of each kind, in the same second: the very same token
    grants = [
        "user:user_2=user/feed_read",
        "object:projects/p1=channel_data/read",
        "tenant:acme=slack/channels_read,ms_teams/channels_read",
        "object:projects/p1=channel_data/write",
    ]
    pem = load_signing_key(None, {"KNOCK_SIGNING_KEY": key.base64})
    frozen = sign_user_token(pem, "user_1", merge_grants(map(parse_grant, grants)), 600, now=1_700_000_000)
    node_frozen = jwt.decode(from_node["frozen"], key.public, algorithms=["RS256"], options={"verify_exp": False})
    assert node_frozen["grants"] == {
        f"{KNOCK}/users/user_2": {"user/feed_read": []},
        f"{KNOCK}/objects/projects/p1": {"channel_data/read": [], "channel_data/write": []},
        f"{KNOCK}/objects/$tenants/acme": {"slack/channels_read": [], "ms_teams/channels_read": []},
    }
    assert from_node["frozen"] == frozen
