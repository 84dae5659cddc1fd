"""The weekly digest's chart: call-backs returned on time per clinician, week by week, as a PNG.

First names and numbers only (the figures carry no client code). Drawn with matplotlib's Agg
backend (no display), on a figure of its own that is closed afterwards, so it is safe on the
dispatcher's thread.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

MAX_LINES = 12  # more clinicians than this: the ones with most on-time returns are drawn


def on_time_chart(week_labels: Sequence[str], on_time: Mapping[str, Sequence[int]],
                  title: str) -> bytes:
    """A line per first name of ``on_time`` (counts per week, in the order of ``week_labels``)."""
    figure = Figure(figsize=(8, 4.2), dpi=100)
    axes = figure.subplots()
    ranked = sorted(on_time.items(), key=lambda item: (-sum(item[1]), item[0]))[:MAX_LINES]
    for name, counts in ranked:
        axes.plot(list(week_labels), list(counts), marker="o", label=name[:20])
    axes.set_title(title, fontsize=10)
    axes.set_ylabel("returned on time")
    axes.set_xlabel("week starting")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    if ranked:
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
