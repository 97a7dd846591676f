"""Lambda SnapStart (template parameter SnapStart): what each copy of a snapshot must renew.

With SnapStart, Lambda runs a function's init once per published version, snapshots its memory, and
resumes every new execution environment from that snapshot, so whatever init made is shared by all
of them. Init here makes no boto3 client, connection or credential (clients are made with the first
request: `recipients.kernel.aws`), reads no key hash (read per request) and keeps no time. `uuid4` and
`secrets` read os.urandom when called. What init does share is the `random` module, seeded once
when imported: botocore's retry jitter and ours would draw the same numbers in every copy, so
their retries would fall together. Each copy reseeds it from os.urandom after its restore.

Powertools' cold-start flags are untouched: no request runs before the snapshot, so the first
request of each restored environment is its cold start (the ColdStart metric, `cold_start` in logs).

`snapshot_restore_py` comes with Lambda's Python runtimes (3.12 and later) and runs the hooks; the
layer does not ship a copy of its own, which could shadow the runtime's. Where it is missing (the
layer's tests, which see the layer alone), nothing is registered; outside Lambda nothing runs them.
"""

from __future__ import annotations

import importlib.util
import random


def renew_after_restore() -> None:
    random.seed()


def register_hooks() -> None:
    if importlib.util.find_spec("snapshot_restore_py") is None:  # only Lambda's runtimes have it
        return
    from snapshot_restore_py import register_after_restore

    register_after_restore(renew_after_restore)
