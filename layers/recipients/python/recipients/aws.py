"""boto3 clients, created once per container. Only store.py (and later queue.py, bus.py) use them.

Outside Lambda, `AWS_ENDPOINT_URL` points every client at the local emulator.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

_config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)

dynamodb = boto3.client("dynamodb", config=_config)
