"""Extraction stages: PDF pages in, plain value types out (no workspace access here)."""
