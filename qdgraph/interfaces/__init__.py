"""The interfaces layer (see docs/ARCHITECTURE.md)."""
