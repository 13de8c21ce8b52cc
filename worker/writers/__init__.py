"""LLM writers: each turns a letter request into an async stream of text chunks."""
