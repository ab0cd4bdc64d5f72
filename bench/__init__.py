"""Hygie benchmarks: server-side latency, throughput and memory of the hot read
pages on a large synthetic practice, with and without audit and encryption.

Run `python -m bench --help` (or `make bench`); figures go to docs/performance.md.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
