"""GraphQL mutations."""
