"""Hygie's SQLite database backend: Django's, with writers queued (write_queue.py)."""
