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
