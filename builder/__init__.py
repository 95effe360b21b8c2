"""MedBench Builder: medical books and exam PDFs in, reviewed benchmark datasets out."""
__version__ = "0.1.0"
