"""Benchmarks of handoff-slack against a bare Bolt app: `python -m bench.run` (see bench/README.md)."""
