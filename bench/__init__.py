"""Benchmarks of lambda_asgi's per-invocation cost against a bare event loop and Mangum.

Run ``python -m bench.invoke`` from the repository root; see ``bench/README.md``.
"""
