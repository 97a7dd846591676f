"""An invocation that counted nothing is normal here, and leaves no warning in the function's log."""

from __future__ import annotations

import os
import subprocess
import sys

FLUSH_NOTHING = "from recipients.kernel.observability import metrics; metrics.flush_metrics()"


def test_flushing_no_metrics_writes_no_warning_to_the_log() -> None:
    # A fresh interpreter, as a function's (pytest resets the warning filters of the tests it runs)
    result = subprocess.run(
        [sys.executable, "-c", FLUSH_NOTHING], capture_output=True, text=True, env=os.environ, check=True, timeout=60
    )
    assert "No application metrics" not in result.stderr
    assert "Warning" not in result.stderr
