"""``python -m lambda_asgi.cli``: the same as the ``lambda-asgi`` console script."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
