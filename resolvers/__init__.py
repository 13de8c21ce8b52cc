"""Query, mutation and subscription functions, one per file, named after their field."""
