"""The layer built by its own Makefile, as `sam build` runs it, but for this machine's CPU and Python.

`sam build` makes the layer for arm64 Lambda, whose compiled wheels (pydantic-core) cannot be imported
here; this build can, so the benchmarks and tests can run the code exactly as deployed.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
"""The interpreter this one's virtualenv was made from, with its own pip (uv's virtualenvs have none),
which installs the wheels for the layer's version, whatever its own."""
_MANYLINUX_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@dataclass(frozen=True)
class LambdaLayout:
    """Fresh interpreters that see `source`'s functions and the built layer only, as on Lambda: no
    site-packages, and no bytecode written as they run (Lambda's /opt and /var/task are read-only),
    so a layer shipped without bytecode pays for compiling every module it imports."""

    source: Path
    layer: Path
    """The built layer's `python/` folder, as Lambda mounts it under /opt."""
    python: str = sys.executable
    """The interpreter that plays the Lambda runtime (the layer's bytecode is compiled for it)."""
    functions: Path | None = None
    """A folder holding a copy of `source`'s `functions/` package as `sam build` ships it, without
    bytecode (so each handler module is compiled at every cold start, as on Lambda); None: the
    checkout's own, whatever `__pycache__` earlier runs left there."""

    def command(self, *arguments: str) -> list[str]:
        return [self.python, "-S", "-s", *arguments]

    def environment(self, variables: Mapping[str, str]) -> dict[str, str]:
        paths = [self.source, self.layer] if self.functions is None else [self.functions, self.source, self.layer]
        return {
            **variables,
            "PYTHONPATH": os.pathsep.join(str(path) for path in paths),
            "PYTHONDONTWRITEBYTECODE": "1",
        }


def python_version(python: str) -> str:
    """`3.11` for a Python 3.11 interpreter."""
    if python == sys.executable:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    return subprocess.run([python, "-S", "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@contextmanager
def lambda_layout(source: Path = ROOT, python: str = sys.executable) -> Iterator[LambdaLayout]:
    """`source`'s functions and its layer, built with `source`'s own layer Makefile for `python` (this
    interpreter unless told), while the block runs."""
    architecture = _MANYLINUX_ARCHITECTURES[platform.machine().lower()]
    with tempfile.TemporaryDirectory(prefix="recipients-layer-") as artifacts:
        build = subprocess.run(
            [
                "make",
                "--silent",
                "-C",
                str(source / "layers" / "recipients"),
                "build-RecipientsLayer",
                f"ARTIFACTS_DIR={artifacts}",
                f"PLATFORM=manylinux2014_{architecture}",
                f"PYTHON_VERSION={python_version(python)}",
                f"PYTHON={_BASE_PYTHON}",
                f"COMPILE_PYTHON={python}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if build.returncode != 0:
            sys.stderr.write(build.stdout + build.stderr)
            raise RuntimeError(f"building the layer of {source} failed (exit {build.returncode})")
        functions = Path(artifacts) / "task"
        shutil.copytree(source / "functions", functions / "functions", ignore=shutil.ignore_patterns("__pycache__"))
        yield LambdaLayout(
            source=source.resolve(), layer=Path(artifacts) / "python", python=python, functions=functions
        )
