"""The worker: consumes job messages and runs each job kind's handler."""
