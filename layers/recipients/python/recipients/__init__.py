"""Recipients: the shared layer behind every function (models, rules, storage, HTTP glue)."""
