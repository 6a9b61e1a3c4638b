"""NHS "Making Data Count" icons: what each variation and assurance icon means and how it is drawn.

The icons are drawn by templates/macros/mdc.html as inline SVG (a role="img" with a title), each
beside its words, so colour is never the only carrier of the meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

IMPROVEMENT = "#005eb8"  # NHS blue
CONCERN = "#b35900"  # a dark orange with 4.5:1 contrast on white
NEUTRAL = "#330072"  # NHS purple
COMMON = "#4c6272"  # NHS dark grey


@dataclass(frozen=True)
class Icon:
    label: str
    colour: str
    letter: str
    trend: str  # flat, up, down: the dots drawn inside the circle

    @property
    def points(self) -> list[tuple[int, int]]:
        rises = {"flat": [0, 0, 0, 0, 0], "up": [0, 0, 0, -6, -12], "down": [-12, -6, 0, 0, 0]}[self.trend]
        base = 30 if self.trend != "flat" else 26
        return [(9 + 5 * i, base + dy) for i, dy in enumerate(rises)]


VARIATION = {
    "common_cause": Icon("Common cause variation", COMMON, "", "flat"),
    "improvement_high": Icon("Special cause variation: improvement, higher", IMPROVEMENT, "H", "up"),
    "improvement_low": Icon("Special cause variation: improvement, lower", IMPROVEMENT, "L", "down"),
    "concern_high": Icon("Special cause variation: concern, higher", CONCERN, "H", "up"),
    "concern_low": Icon("Special cause variation: concern, lower", CONCERN, "L", "down"),
    "neutral_high": Icon("Special cause variation: neither improvement nor concern, higher", NEUTRAL, "H", "up"),
    "neutral_low": Icon("Special cause variation: neither improvement nor concern, lower", NEUTRAL, "L", "down"),
}

ASSURANCE = {
    "consistent_pass": Icon("Assurance: will consistently meet the target", IMPROVEMENT, "P", "flat"),
    "consistent_fail": Icon("Assurance: will consistently fail the target", CONCERN, "F", "flat"),
    "inconsistent": Icon("Assurance: will hit and miss the target at random", COMMON, "?", "flat"),
}

SPECIAL_CAUSE_TYPES = ("special_cause_improvement", "special_cause_concern", "special_cause_neutral_high",
                       "special_cause_neutral_low")


def is_special_cause(point_type: str | None) -> bool:
    return point_type in SPECIAL_CAUSE_TYPES


def point_type_words(point_type: str | None) -> str:
    return {
        "common_cause": "common cause",
        "special_cause_improvement": "special cause: improvement",
        "special_cause_concern": "special cause: concern",
        "special_cause_neutral_high": "special cause: higher",
        "special_cause_neutral_low": "special cause: lower",
    }.get(point_type or "", "")


@dataclass(frozen=True)
class Band:
    """A row or column of the summary matrix: its words and the icon codes it holds (None: no icon)."""

    label: str
    codes: tuple[str | None, ...]


# The rows and columns of Making Data Count's summary matrix, as its board reports lay them out:
# variation down the side (improvement at the top, concern at the bottom), assurance across.
VARIATION_BANDS = (
    Band("Special cause improvement", ("improvement_high", "improvement_low")),
    Band("Special cause: neither improvement nor concern", ("neutral_high", "neutral_low")),
    Band("Common cause", ("common_cause",)),
    Band("Special cause concern", ("concern_high", "concern_low")),
    Band("Not yet judged: a run chart (fewer than 13 months)", (None,)),
)
ASSURANCE_BANDS = (
    Band("Consistently passing the target", ("consistent_pass",)),
    Band("Hit and miss the target", ("inconsistent",)),
    Band("Consistently failing the target", ("consistent_fail",)),
    Band("No target", (None,)),
)


def summary_grid(rows: list[dict[str, object]]) -> list[list[list[dict[str, object]]]]:
    """The KPIs of a unit's matrix (``GET /dashboards/units/<unit>/kpis`` rows) placed in the summary
    matrix: a list per variation band, of a list per assurance band, of the rows that fall there."""
    grid: list[list[list[dict[str, object]]]] = [[[] for _ in ASSURANCE_BANDS] for _ in VARIATION_BANDS]
    for row in rows:
        down = next(i for i, band in enumerate(VARIATION_BANDS)
                    if row.get("variation_icon") in band.codes or band.codes == (None,))
        across = next(i for i, band in enumerate(ASSURANCE_BANDS)
                      if row.get("assurance_icon") in band.codes or band.codes == (None,))
        grid[down][across].append(row)
    return grid
