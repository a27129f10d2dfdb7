"""The dashboard's bar charts, laid out on the server (drawn as SVG by
templates/reports/_charts.html): each bar with its label above it and its value at its end,
under an axis with round ticks and the axis' name, so the chart reads without the table."""

import math

WIDTH = 300  # of the bars' area, in the SVG's units
ROW = 36  # a label line and a bar
TICKS = 4


def ticks(top):
    """Round steps from 0 to at least ``top``: 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0, 1]
    rough = top / TICKS
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if isinstance(top, int) or float(top).is_integer():
        step = max(1, round(step))
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 6) for i in range(count + 1)]


def bars(items, axis, stacks=None):
    """``items``: (label, value, href or None) each, or with ``stacks`` (the buckets' names)
    (label, {bucket: value}); the chart's rows, ticks and size."""
    rows = []
    for label, value, *rest in items:
        parts = [(b, value[b]) for b in stacks] if stacks else [(None, value)]
        rows.append({"label": label, "href": rest[0] if rest else None, "parts": parts,
                     "total": sum(v for _b, v in parts)})
    marks = ticks(max([r["total"] for r in rows], default=0))
    scale = WIDTH / marks[-1]
    for i, row in enumerate(rows):
        x, row["y"], row["segments"] = 0.0, i * ROW, []
        for index, (bucket, value) in enumerate(row["parts"]):
            w = round(value * scale, 1)
            if w:
                row["segments"].append({"x": x, "w": w, "bucket": bucket, "value": value,
                                        "tone": index if stacks else i % 4})
            x += w
        row["end"] = round(x, 1)
    height = len(rows) * ROW
    return {"rows": rows, "axis": axis, "height": height, "width": WIDTH,
            "ticks": [{"x": round(t * scale, 1), "value": t} for t in marks]}
