"""Example apps served on Lambda by lambda_asgi: one HTTP contract in six frameworks (README.md)."""
