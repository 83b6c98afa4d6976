"""The Lambda Python image reproduced with processes: what ``sam local invoke`` runs in Docker.

In the image (public.ecr.aws/lambda/python:3.11) the function directory is /var/task and the
working directory; ``/var/runtime/bootstrap`` exports ``AWS_EXECUTION_ENV`` and runs
``/var/lang/bin/python3.11 /var/runtime/bootstrap.py`` (through ``$AWS_LAMBDA_EXEC_WRAPPER`` when
that is set), which puts /var/task first on ``sys.path``, leaves ``PYTHONPATH`` set to
``$LAMBDA_RUNTIME_DIR`` (which also holds boto3) and hands the ``$_HANDLER`` to awslambdaric,
the official runtime client, which then talks to the Runtime API at ``$AWS_LAMBDA_RUNTIME_API``.

:class:`LambdaImage` lays out the same pieces in a temporary directory: ``runtime/`` holds only
awslambdaric, boto3 and their dependencies (the image's /var/runtime), and
``lang/bin/python3.11`` runs this interpreter with ``-S`` (no site-packages, so nothing leaks in
from the test venv) and ``-v`` (every module's file is logged, so a test can prove where the
code came from). The function runs with ``python -m awslambdaric HANDLER`` in the built
function directory.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from lambda_asgi.emulator import Result, RuntimeEmulator

TASK_ROOT = "/var/task"  # where the image mounts the function directory

# "# <cached .pyc> matches <source>", "# code object from <source>" (compiled afresh; the
# .pyc it then read is quoted and skipped) and "# extension module 'name' loaded from '<.so>'".
_LOADED = re.compile(
    r"^# (?:\S+ matches (\S+)|code object from ([^'\n]+\.py)|"
    r"extension module '[^']+' loaded from '([^']+)')$",
    re.MULTILINE,
)


class Invoked:
    """One ``sam local invoke``: the Runtime API's result and the function process's log."""

    def __init__(self, result: Result, log: str) -> None:
        self.result = result
        self.log = log

    def loaded_files(self) -> set[Path]:
        """The source or extension file of every module ``python -v`` reports loading."""
        return {Path(next(path for path in paths if path)) for paths in _LOADED.findall(self.log)}


class LambdaImage:
    """The image's runtime directories for ``runtime`` (``"python3.11"``), under ``root``."""

    def __init__(self, root: Path, runtime: str) -> None:
        version = runtime.removeprefix("python")
        here = "{}.{}".format(*sys.version_info[:2])
        assert version == here, f"the function's Runtime is {runtime}: run the tests on {version}"
        self.runtime = runtime
        self.runtime_dir = root / "runtime"
        self.runtime_dir.mkdir(parents=True)
        # The image's /var/runtime also holds boto3 (and botocore ...), which functions import
        # without packaging it, as the WebSocket chat function does.
        for distribution in ("awslambdaric", "boto3"):
            _link_distribution(distribution, self.runtime_dir)
        lang_bin = root / "lang" / "bin"
        lang_bin.mkdir(parents=True)
        self.python = lang_bin / runtime
        self.python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S -v "$@"\n')
        self.python.chmod(0o755)
        self.roots = (self.runtime_dir, Path(sysconfig.get_paths()["stdlib"]))

    def environ(self, task_root: Path, function: Mapping[str, str]) -> dict[str, str]:
        """The process environment for a function whose ``sam local invoke`` variables are
        ``function``: the image's ENV, the bootstrap's exports, then the function's, with
        /var/task mapped to ``task_root``. Nothing is inherited from the test process."""
        image = {
            "LANG": "en_US.UTF-8",
            "TZ": ":/etc/localtime",
            "PATH": f"{self.python.parent}:/usr/local/bin:/usr/bin:/bin",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
        }
        bootstrap = {
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "PYTHONPATH": str(self.runtime_dir),
        }
        mapped = {name: _map_task_root(value, task_root) for name, value in function.items()}
        # /var/task is read-only on Lambda, so nothing is cached next to the code; here bytecode
        # goes to a cache outside the build, shared by the invocations (cold starts stay cheap).
        cache = {"PYTHONPYCACHEPREFIX": str(self.runtime_dir.parent / "pycache")}
        return {**image, **bootstrap, **mapped, **cache}

    def invoke(
        self, env: Mapping[str, str], event: Any, log_path: Path, *, timeout: float = 60.0
    ) -> Invoked:
        """Start a fresh runtime process (a cold start, as each ``sam local invoke`` is),
        send it ``event`` through a Runtime API emulator, and end it."""
        handler = env["AWS_LAMBDA_FUNCTION_HANDLER"]
        command = [str(self.python), "-m", "awslambdaric", handler]
        if "AWS_LAMBDA_EXEC_WRAPPER" in env:
            command = [env["AWS_LAMBDA_EXEC_WRAPPER"], *command]
        with RuntimeEmulator(
            function_name=env["AWS_LAMBDA_FUNCTION_NAME"],
            function_timeout=float(env["AWS_LAMBDA_FUNCTION_TIMEOUT"]),
            region=env["AWS_REGION"],
        ) as emulator:
            task_root = env["LAMBDA_TASK_ROOT"]
            full_env = {**emulator.environ(handler, task_root=task_root), **env}
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    command, cwd=task_root, env=full_env, stdout=log, stderr=subprocess.STDOUT
                )
                try:
                    result = emulator.invoke(event, timeout=timeout)
                finally:
                    emulator.shutdown(process)
        return Invoked(result, log_path.read_text(encoding="utf-8", errors="replace"))

    def assert_ran_from(self, invoked: Invoked, task_root: Path, *modules: str) -> None:
        """Every module came from ``task_root``, the runtime directory or the standard
        library, and each of ``modules`` (paths relative to ``task_root``) was loaded."""
        loaded = invoked.loaded_files()
        roots = (task_root, *self.roots)
        assert [path for path in loaded if not any(path.is_relative_to(r) for r in roots)] == []
        assert [module for module in modules if task_root / module not in loaded] == []


def _map_task_root(value: str, task_root: Path) -> str:
    if value == TASK_ROOT or value.startswith(f"{TASK_ROOT}/"):
        return f"{task_root}{value.removeprefix(TASK_ROOT)}"
    return value


def _link_distribution(name: str, target: Path) -> None:
    """Link ``name``'s top-level modules, and its dependencies', into ``target``."""
    pending, seen = [name], set()
    while pending:
        dist = metadata.distribution(pending.pop())
        seen.add(dist.metadata["Name"].lower())
        for top in {file.parts[0] for file in dist.files or ()}:
            # Skip the metadata and anything installed outside site-packages (scripts: "..").
            if not top.endswith(".dist-info") and top != ".." and not (target / top).exists():
                (target / top).symlink_to(Path(str(dist.locate_file(top))))
        for requirement in dist.requires or ():
            dependency = re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower()
            if "extra ==" not in requirement and dependency not in seen:
                pending.append(dependency)
