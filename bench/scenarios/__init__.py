"""One module per scenario family; each returns rows for the results table."""
