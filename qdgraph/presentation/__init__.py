"""The presentation layer (see docs/ARCHITECTURE.md)."""
