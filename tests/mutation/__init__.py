"""Mutation testing helpers (not collected by pytest): see docs/testing.md "## Mutation testing"."""
