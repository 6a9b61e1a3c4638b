"""The driver diagram drawn as a standalone, accessible SVG (a pure function: no I/O).

Four columns, left to right: the aim, primary drivers, secondary drivers, change ideas. Each node
is a box joined to its parent; a parent sits level with the middle of what hangs from it. The
``<title>`` and ``<desc>`` (``role="img"``, ``aria-labelledby``) say the whole tree in words, so a
screen reader gets what a sighted reader sees. Every piece of text, user titles included, is
escaped. Colours are the NHS identity's blues, as the metrics charts use.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from services.projects.domain.diagram import Node

COLUMNS = ("Aim", "Primary drivers", "Secondary drivers", "Change ideas")
FILLS = ("#005eb8", "#41b6e6", "#e8edee", "#ffffff")
TEXT_COLOURS = ("#ffffff", "#231f20", "#231f20", "#231f20")
BORDER, LINE = "#005eb8", "#768692"
BOX_WIDTH, COLUMN_GAP, ROW_HEIGHT, BOX_HEIGHT = 200, 48, 72, 60
MARGIN, HEADING = 16, 48
LINE_CHARS, MAX_LINES = 30, 3


@dataclass(frozen=True)
class _Placed:
    column: int
    y: float
    text: str
    css_class: str


def render_diagram_svg(title: str, aim: str, drivers: Sequence[Node]) -> str:
    boxes: list[_Placed] = []
    links: list[tuple[_Placed, _Placed]] = []
    rows = _place(drivers, 1, 0, boxes, links)
    height = HEADING + max(rows, 1) * ROW_HEIGHT + MARGIN
    aim_box = _Placed(0, HEADING + (max(rows, 1) * ROW_HEIGHT - BOX_HEIGHT) / 2, aim or "(aim not yet written)", "aim")
    links = [(aim_box, child) for child in boxes if child.column == 1] + links
    width = MARGIN * 2 + len(COLUMNS) * BOX_WIDTH + (len(COLUMNS) - 1) * COLUMN_GAP
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" role="img" aria-labelledby="diagram-title diagram-desc" '
        'font-family="Arial, sans-serif">',
        f'<title id="diagram-title">{escape(f"Driver diagram: {title}")}</title>',
        f'<desc id="diagram-desc">{escape(describe(aim, drivers))}</desc>',
        f'<rect width="{width}" height="{height:.0f}" fill="#ffffff"/>',
        *(_heading(i, name) for i, name in enumerate(COLUMNS)),
        *(_link(parent, child) for parent, child in links),
        *(_box(box) for box in [aim_box, *boxes]),
        "</svg>",
    ])


def describe(aim: str, drivers: Sequence[Node]) -> str:
    """The tree in words: the aim, then each driver with what hangs from it."""
    if not drivers:
        return f"Aim: {aim}. No drivers yet."
    return f"Aim: {aim}. " + " ".join(_described(node) for node in drivers)


def _described(node: Node) -> str:
    kind = {"primary": "Primary driver", "secondary": "secondary driver", "change_idea": "change idea"}[node.kind]
    under = f" ({'; '.join(_described(child) for child in node.children)})" if node.children else ""
    return f"{kind}: {node.title}{under}" + ("." if node.kind == "primary" else "")


def _place(nodes: Sequence[Node], column: int, first_row: int, boxes: list[_Placed],
           links: list[tuple[_Placed, _Placed]]) -> int:
    """Places ``nodes`` from ``first_row`` down; returns how many rows they took."""
    row = first_row
    for node in nodes:
        child_boxes: list[_Placed] = []
        used = _place(node.children, column + 1, row, child_boxes, links) if node.children else 1
        y = HEADING + (row + used / 2) * ROW_HEIGHT - BOX_HEIGHT / 2
        placed = _Placed(column, y, node.title, node.kind)
        boxes.append(placed)
        boxes.extend(child_boxes)
        links.extend((placed, child) for child in child_boxes if child.column == column + 1)
        row += used
    return row - first_row


def _x(column: int) -> float:
    return MARGIN + column * (BOX_WIDTH + COLUMN_GAP)


def _heading(column: int, name: str) -> str:
    return (f'<text class="column-heading" x="{_x(column) + BOX_WIDTH / 2:.1f}" y="28" text-anchor="middle" '
            f'font-size="14" font-weight="bold" fill="#231f20">{escape(name)}</text>')


def _link(parent: _Placed, child: _Placed) -> str:
    x1, y1 = _x(parent.column) + BOX_WIDTH, parent.y + BOX_HEIGHT / 2
    x2, y2 = _x(child.column), child.y + BOX_HEIGHT / 2
    middle = (x1 + x2) / 2
    return (f'<path class="link" d="M{x1:.1f},{y1:.1f} H{middle:.1f} V{y2:.1f} H{x2:.1f}" fill="none" '
            f'stroke="{LINE}" stroke-width="1.5"/>')


def _box(box: _Placed) -> str:
    lines = textwrap.wrap(box.text, LINE_CHARS) or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES - 1], textwrap.shorten(" ".join(lines[MAX_LINES - 1:]), LINE_CHARS, placeholder="…")]
    x, first = _x(box.column), box.y + BOX_HEIGHT / 2 - (len(lines) - 1) * 7 + 4
    text = "".join(f'<tspan x="{x + 8:.1f}" y="{first + i * 14:.1f}">{escape(line)}</tspan>'
                   for i, line in enumerate(lines))
    return (f'<g class={quoteattr("node " + box.css_class)}><title>{escape(box.text)}</title>'
            f'<rect x="{x:.1f}" y="{box.y:.1f}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4" '
            f'fill="{FILLS[box.column]}" stroke="{BORDER}" stroke-width="1"/>'
            f'<text font-size="12" fill="{TEXT_COLOURS[box.column]}">{text}</text></g>')
