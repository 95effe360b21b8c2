"""Item generators (template, LLM) and quality control; data in, items out."""
