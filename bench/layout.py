"""The code laid out as Lambda runs it, for the fresh interpreters that time cold starts.

The interpreters see the layer (built by its Makefile, see local/layer.py) and the function code
only: no site-packages, and no bytecode written as they run (Lambda's /opt and /var/task are
read-only), so a layer shipped without bytecode pays for compiling every module it imports, as it
would on Lambda.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import FAKE_AWS
from local.layer import ROOT, built_layer


@dataclass(frozen=True)
class LambdaLayout:
    source: Path
    """The checkout whose `functions/` are imported (this one, or another commit's)."""
    layer: Path
    """The built layer's `python/` folder, as Lambda mounts it under /opt."""

    def command(self, *arguments: str) -> list[str]:
        return [sys.executable, "-S", "-s", *arguments]  # no site-packages: only the layer and the stdlib

    def environment(self, *, traced: bool = False) -> dict[str, str]:
        """FAKE_AWS, with tracing off; `traced`: as in a Lambda with `Tracing: Active` instead."""
        environment = {
            **os.environ,
            **FAKE_AWS,
            "PYTHONPATH": os.pathsep.join([str(self.source), str(self.layer)]),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if traced:
            del environment["POWERTOOLS_TRACE_DISABLED"]
            environment["LAMBDA_TASK_ROOT"] = str(self.source)  # Powertools traces only inside Lambda
        return environment


@contextmanager
def lambda_layout(source: Path = ROOT) -> Iterator[LambdaLayout]:
    """`source`'s functions and its layer, built with `source`'s own layer Makefile."""
    with built_layer(source) as layer:
        yield LambdaLayout(source=source.resolve(), layer=layer)
