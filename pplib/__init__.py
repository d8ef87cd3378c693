"""Problem Profile Notebooks: build a local modern slavery problem profile."""
__version__ = "0.1.0"
