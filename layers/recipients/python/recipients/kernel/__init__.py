"""What every feature builds on: errors, exact JSON, field rules, settings, observability, AWS clients,
the key scheme and the table core."""
