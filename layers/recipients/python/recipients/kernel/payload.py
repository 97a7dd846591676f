"""Lambda's payload limit on what a function answers, and keeping answers inside it.

A synchronous invocation returns at most 6 MB of payload (Lambda quotas: "Invocation payload
(request and response): 6 MB each for synchronous"; the runtime refuses 6,291,556 bytes and more):
the function's result as the runtime serializes it, with the body a JSON string inside it. A larger
answer never reaches the caller (API Gateway answers 500, which the SDKs retry three times), so list
pages and bulk answers stop filling before the limit and hand back a cursor for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MAX_RESULT_BYTES = 6_291_556
ENVELOPE_BYTES = 16 * 1024
"""The rest of a result: statusCode, headers (request ids, idempotency headers) and isBase64Encoded."""
MAX_BODY_BYTES = MAX_RESULT_BYTES - ENVELOPE_BYTES


def body_bytes(text: str) -> int:
    """What `text` takes as the body of a Lambda result: escaped into a JSON string with non-ASCII
    characters as \\u escapes, as the python3.11 runtime writes it (python3.12 and later write UTF-8,
    which is never longer)."""
    return len(json.dumps(text)) - 2


def fitting(texts: Iterable[str], budget: int) -> int:
    """How many of `texts`, from the first, fit in `budget` bytes of body once joined by commas.

    At least one, so that a page always moves forward (one recipient's JSON is far below the limit).
    """
    count = 0
    for text in texts:
        budget -= body_bytes(text) + 1
        if budget < 0 and count:
            break
        count += 1
    return count
