"""``python -m lambda_asgi.runtime [module.attr]``: run the custom runtime."""

from __future__ import annotations

import sys

from .loop import main

if __name__ == "__main__":  # pragma: no branch - this module exists to be run
    sys.exit(main())
