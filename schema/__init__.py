"""GraphQL types (schema.types) and the one module that builds the Schema (schema.build)."""
