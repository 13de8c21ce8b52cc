"""GraphQL queries."""
