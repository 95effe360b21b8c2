"""Placeholder package for the annotation stage (see the issues)."""
