"""Placeholder package for the taxonomy stage (see the issues)."""
