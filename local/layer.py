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
    """A folder holding `source`'s `functions/` package as `sam build` ships each function (with its
    bytecode, where `source` builds it); None: the checkout's own, whatever `__pycache__` earlier runs
    left there."""

    @property
    def task_root(self) -> Path:
        """Where its interpreters start, as a Lambda's in /var/task: `python -c` and `-m` put the working
        folder first on the path, so started in `source` they would import its `functions/` instead."""
        return self.source if self.functions is None else self.functions

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
    """`source`'s functions and its layer, built with `source`'s own Makefiles for `python` (this
    interpreter unless told), while the block runs."""
    architecture = _MANYLINUX_ARCHITECTURES[platform.machine().lower()]
    with tempfile.TemporaryDirectory(prefix="recipients-layer-") as artifacts:
        _make(
            source / "layers" / "recipients",
            "build-RecipientsLayer",
            ARTIFACTS_DIR=artifacts,
            PLATFORM=f"manylinux2014_{architecture}",
            PYTHON_VERSION=python_version(python),
            PYTHON=_BASE_PYTHON,
            COMPILE_PYTHON=python,
        )
        functions = Path(artifacts) / "task"
        _ship_functions(source / "functions", functions / "functions", python)
        yield LambdaLayout(
            source=source.resolve(), layer=Path(artifacts) / "python", python=python, functions=functions
        )


def _ship_functions(functions: Path, target: Path, python: str) -> None:
    """Each function as `sam build` ships it, under one `functions` package: built by `functions`' own
    Makefile (bytecode included), or copied as it is where there is none (checkouts from before it)."""
    makefile = (functions / "Makefile").resolve()  # make -C reads a relative --makefile from the folder
    if not makefile.exists():
        shutil.copytree(functions, target, ignore=shutil.ignore_patterns("__pycache__"))
        return
    target.mkdir(parents=True)
    shutil.copy2(functions / "__init__.py", target)
    for folder in sorted(path for path in functions.iterdir() if (path / "app.py").exists()):
        _make(folder, f"build-{folder.name}", makefile=makefile, ARTIFACTS_DIR=target / folder.name, PYTHON=python)


def _make(directory: Path, target: str, makefile: Path | None = None, **variables: str | Path) -> None:
    """`make target` in `directory` (with `makefile` if given, else the directory's own), as SAM runs it."""
    command = ["make", "--silent", "-C", str(directory), *(["--makefile", str(makefile)] if makefile else []), target]
    command += [f"{name}={value}" for name, value in variables.items()]
    build = subprocess.run(command, capture_output=True, text=True, check=False)
    if build.returncode != 0:
        sys.stderr.write(build.stdout + build.stderr)
        raise RuntimeError(f"`make {target}` in {directory} failed (exit {build.returncode})")
