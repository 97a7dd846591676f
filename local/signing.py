"""The public keys `make run` verifies user tokens with, and the development key pair it makes once.

`RECIPIENTS_SIGNING_PUBLIC_KEY` (PEM text, or the path of a PEM file) when set; otherwise the public
half of a development key pair generated on first use in `.local-keys/` (git-ignored), whose private
key signs tokens for a local front end (`recipients sign-user-token USER --key .local-keys/...`).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_KEYS_DIR = REPO_ROOT / ".local-keys"
DEV_PRIVATE_KEY = DEV_KEYS_DIR / "user-token-signing-key.pem"
DEV_PUBLIC_KEY = DEV_KEYS_DIR / "user-token-signing-key.pub.pem"


def signing_public_key() -> tuple[str, Path | None]:
    """The PEM text of the public key(s), and the development private key's path when that pair is used."""
    configured = os.environ.get("RECIPIENTS_SIGNING_PUBLIC_KEY", "").strip()
    if configured:
        if configured.startswith("-----BEGIN"):
            return configured, None
        return Path(configured).expanduser().read_text(encoding="ascii"), None
    if not (DEV_PRIVATE_KEY.exists() and DEV_PUBLIC_KEY.exists()):
        _make_dev_key_pair()
    return DEV_PUBLIC_KEY.read_text(encoding="ascii"), DEV_PRIVATE_KEY


def _make_dev_key_pair() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    DEV_KEYS_DIR.mkdir(mode=0o700, exist_ok=True)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    DEV_PRIVATE_KEY.write_bytes(private)
    DEV_PRIVATE_KEY.chmod(0o600)
    DEV_PUBLIC_KEY.write_bytes(public)
