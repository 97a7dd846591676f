"""What users and objects share: the write body, the shallow-merge plan, one item per recipient, pages."""
