"""Placeholder package for the generators stage (see the issues)."""
