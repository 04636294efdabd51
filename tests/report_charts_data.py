"""Made-up report charts for the report PDF tests (`tests/documents/test_report_*.py`)."""

from __future__ import annotations

from typing import Any


def chart(labels: list[str], *series: list[float | None]) -> dict[str, Any]:
    return {
        "key": "c",
        "title": "Things by month",
        "labels": labels,
        "series": [{"name": f"S{i}", "values": list(v)} for i, v in enumerate(series)],
        "hidden_marker": "hidden" if any(None in v for v in series) else None,
    }


def months(n: int, start: tuple[int, int] = (2020, 1)) -> list[str]:
    year, month = start
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
