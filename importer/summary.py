"""What an import did, printed on stdout at the end (and kept in the state file once it finished)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importer.progress import format_duration


@dataclass(frozen=True)
class Summary:
    name: str
    rows: int
    written: int
    local_rejected: int
    server_rejected: int
    operations: int
    failed_operations: int
    unfinished_operations: int
    unaccounted: int
    sent: int
    skipped: int
    elapsed: float
    rejects_path: Path | None
    """Where the rejected rows are listed, when there are any."""
    state_path: Path | None
    interrupted: bool = False

    @property
    def rejected(self) -> int:
        return self.local_rejected + self.server_rejected

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.rejected or self.failed_operations or self.unaccounted else 0

    def render(self) -> str:
        parts = [
            f"{self.name}: {self.rows:,} rows",
            f"{self.written:,} written",
            f"{self.rejected:,} rejected",
            f"{self.failed_operations:,} operations failed",
            format_duration(self.elapsed) if self.elapsed >= 60 else f"{self.elapsed:.1f} s",
        ]
        if self.sent and self.elapsed > 0:  # a resumed run may only wait for earlier batches
            parts.append(f"{self.sent / self.elapsed:,.0f} rows/s")
        lines = [" | ".join(parts)]
        if self.skipped:
            lines.append(f"resumed: {self.skipped:,} rows were already sent by an earlier run and were skipped")
        if self.rejects_path is not None:
            counts = f"{self.local_rejected:,} locally, {self.server_rejected:,} by the server"
            lines.append(f"rejected rows ({counts}): {self.rejects_path}")
        if self.unaccounted:
            lines.append(f"{self.unaccounted:,} rows of failed operations were neither written nor listed as rejected")
        if self.unfinished_operations and not self.interrupted:
            hint = "; run again with --resume to wait for them" if self.state_path else ""
            lines.append(f"{self.unfinished_operations:,} operations still running on the server{hint}")
        return "\n".join(lines)
