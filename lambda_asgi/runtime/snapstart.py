"""SnapStart in the custom runtime: the checkpoint between init and the first invocation.

With ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, Lambda snapshots the environment after
init. The runtime runs the before-snapshot hooks, then calls ``GET /runtime/restore/next``,
which returns once the environment was restored from the snapshot (possibly much later, in
another place); then it runs the after-restore hooks (reconnect clients, reseed randomness).
Hooks are the ones registered with PyPI's ``snapshot-restore-py``
(``register_before_snapshot`` / ``register_after_restore``), the same registry the managed
runtime runs, so one app works under both. A failing before-snapshot hook is an init error; a
failing after-restore hook is reported to ``/runtime/restore/error``.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from typing import Any

from .client import Connection, error_document

logger = logging.getLogger("lambda_asgi.runtime")

RESTORE_NEXT = "/2018-06-01/runtime/restore/next"
RESTORE_ERROR = "/2018-06-01/runtime/restore/error"
INIT_ERROR = "/2018-06-01/runtime/init/error"


def _hooks(which: str) -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    try:
        module = importlib.import_module("snapshot_restore_py")  # optional: the snapstart extra
    except ImportError:
        return []
    registry: list[Any] = getattr(module, which)()
    return registry


def run_hooks(which: str) -> None:
    """Run the registered ``get_before_snapshot`` or ``get_after_restore`` hooks, in order."""
    for func, args, kwargs in _hooks(which):
        func(*args, **kwargs)


async def checkpoint(connection: Connection) -> bool:
    """Before-snapshot hooks, wait for the restore, after-restore hooks; False on failure
    (already reported to Lambda)."""
    try:
        run_hooks("get_before_snapshot")
    except Exception as exc:
        logger.exception("a before-snapshot hook failed")
        await _report(connection, INIT_ERROR, error_document(exc, "Runtime.BeforeSnapshotError"))
        return False
    status, _, body = await connection.request("GET", RESTORE_NEXT)
    if status != 200:
        logger.error("restore/next answered %d: %.200r", status, body)
        return False
    try:
        run_hooks("get_after_restore")
    except Exception as exc:
        logger.exception("an after-restore hook failed")
        await _report(connection, RESTORE_ERROR, error_document(exc, "Runtime.AfterRestoreError"))
        return False
    return True


async def _report(connection: Connection, path: str, document: dict[str, Any]) -> None:
    headers = {"Lambda-Runtime-Function-Error-Type": document["errorType"]}
    await connection.request("POST", path, headers, json.dumps(document).encode("utf-8"))
