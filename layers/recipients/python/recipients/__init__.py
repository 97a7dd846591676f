"""Recipients: the shared layer behind every function, organised by feature on a small kernel (CONTRIBUTING.md)."""
