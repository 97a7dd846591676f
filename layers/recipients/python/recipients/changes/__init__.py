"""Change events: every committed write to a user, object or tenant as one `recipient.*` event on the bus,
read from the table's DynamoDB stream (README, "Change events")."""
