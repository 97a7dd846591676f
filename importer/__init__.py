"""`recipients import`: stream a JSONL or CSV file of users through POST /v1/users/bulk/identify.

Standard library only. The modules, in the order data flows through them:
`reader` (file -> rows), `batching` (rows -> request bodies), `client` (HTTP with retries),
`state` (the resume file), `rejects` (the rejects file), `progress` (stderr), `runner` (the import
loop that ties them together) and `cli` (the `recipients` command).

`tokens` is apart: `recipients sign-user-token` signs Knock user tokens with PyJWT and cryptography.
"""

__version__ = "0.1.0"
