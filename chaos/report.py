"""The table the fault suite prints."""

from __future__ import annotations

from collections.abc import Sequence

from chaos.scenarios import Row

HEADER = ("scenario", "events", "lost", "duplicated", "recovery", "result")


def table(rows: Sequence[Row]) -> str:
    """A Markdown table: one row per scenario, then what went wrong and what happened, per scenario."""
    cells = [HEADER, *((row.scenario, f"{row.events:,}", str(row.lost), str(row.duplicated), _seconds(row.recovery),
                        "ok" if row.ok else "FAILED") for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"
             for line in cells]
    lines.insert(1, "| " + " | ".join("-" * width for width in widths) + " |")
    for row in rows:
        if row.notes:
            lines.append(f"  {row.scenario}: {row.notes}")
        lines += [f"  {row.scenario}: FAILED: {problem}" for problem in row.problems]
        if row.recovery is None and not row.problems:
            lines.append(f"  {row.scenario}: FAILED: the expected state was not reached in time")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"
