"""Size limits applied to every uploaded import file before and while it is read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImportLimits", "human_size"]

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    """Refusal thresholds. The defaults suit an interactive upload of a few hundred thousand rows.

    ``max_bytes`` applies to the uploaded file as it is. ``max_rows`` counts data rows (blank rows
    are not counted). The ``zip`` limits apply to XLSX workbooks and are checked from the ZIP
    directory before anything is decompressed: member count, total uncompressed size, and the
    compression ratio of every member of at least ``zip_ratio_min_bytes`` (small members cannot
    do harm whatever their ratio). ``max_columns`` caps the width of the header row.
    """

    max_bytes: int = 50 * MB
    max_rows: int = 200_000
    max_columns: int = 500
    max_zip_members: int = 1_000
    max_uncompressed_bytes: int = 512 * MB
    max_compression_ratio: int = 200
    zip_ratio_min_bytes: int = 1 * MB

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "max_columns", "max_zip_members", "max_uncompressed_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"ImportLimits.{name} must be positive.")


def human_size(size: int) -> str:
    """``52428800`` → ``"50 MB"``; ``1536`` → ``"1.5 KB"`` (binary units, as file managers show)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{size:,} bytes"
            return f"{value:,.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    raise AssertionError("unreachable")
