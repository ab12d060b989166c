"""Benchmarks of the running bot (``python -m bench.bench_ack`` and friends); scripts, not tests."""
