"""Mutation testing helpers (not collected by pytest): see README "## Test"."""
