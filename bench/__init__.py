"""Benchmarks of the lead converter (`make bench`): cold start, per-webhook overhead, burst,
sweep cost and memory, each against a baseline measured in the same run.

Not tests: nothing here asserts timings. `python -m bench` prints a table and writes
`bench/results.json` (see bench/__main__.py).
"""
