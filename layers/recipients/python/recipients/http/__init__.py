"""The HTTP glue of the API functions: the resolver and its error mapping, Idempotency-Key handling,
the docs and the route table."""
