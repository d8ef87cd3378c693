"""Papermill execution per section, HTML and PDF, the workbook, publishing and auditing the partner
edition, and batch builds (``batch.build``).
"""
