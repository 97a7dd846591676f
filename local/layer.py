"""The layer built by its own Makefile, as `sam build` runs it, but for this machine's CPU and Python.

`sam build` makes the layer for arm64 Lambda, whose compiled wheels (pydantic-core) cannot be imported
here; this build can, so the benchmarks and tests can run the code exactly as deployed.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_MANYLINUX_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@contextmanager
def built_layer(source: Path = ROOT) -> Iterator[Path]:
    """The `python/` folder (what Lambda mounts under /opt) of `source`'s layer, while the block runs."""
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
                f"PYTHON_VERSION={sys.version_info.major}.{sys.version_info.minor}",
                f"COMPILE_PYTHON={sys.executable}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if build.returncode != 0:
            sys.stderr.write(build.stdout + build.stderr)
            raise RuntimeError(f"building the layer of {source} failed (exit {build.returncode})")
        yield Path(artifacts) / "python"
