"""Strawberry types: no I/O, each maps a record explicitly with ``from_record``."""

# Registers the domain enums with Strawberry before any type annotates a field with them.
from schema.types import enums as enums
