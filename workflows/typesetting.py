"""Text on PDFs: the Devanagari font the product ships, and text cut into pieces fpdf2 can
shape (the whole file's PDF, ``reports.pdf_export``, and signed orders, ``signing.pdf``).

fpdf2 (2.8.9, the latest) resolves bidirectional text with a recursion that walks a run of
neutral characters one call per character: a note of 1,000 ``-`` or 3,000 emoji exceeds Python's
recursion limit, and the time it takes grows with the square of the run.  So every piece of text
is written in pieces of at most ``PIECE`` characters (``pieces``), each shaped on its own.
"""

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF


def font_path() -> Path:
    """The Devanagari font shipped inside this package (Lohit Devanagari, SIL OFL 1.1, with its
    licence in ``reports/fonts/OFL.txt``), so that a PDF needs no font installed on the
    machine.  Package data found from this module's path (``workflows`` is a namespace
    package, which importlib.resources cannot read under an editable install on Python 3.11)."""
    return Path(__file__).parent / "reports" / "fonts" / "Lohit-Devanagari.ttf"


PIECE = 100
_JOINERS = ("\u200c", "\u200d")  # zero-width non-joiner and joiner
_VIRAMA = 9  # canonical combining class of a virama (Devanagari halant)


def pieces(text: str, size: int = PIECE) -> Iterator[str]:
    """``text`` cut into pieces of at most ``size`` characters, after a space where there is
    one, else where no written character is split: never before a mark (a matra, an anusvara,
    a nukta), a joiner or a skin tone, nor after a virama or a joiner, so that a conjunct such
    as क्ष and an emoji sequence stay whole."""
    start = 0
    while len(text) - start > size:
        end = start + size
        space = text.rfind(" ", start, end)
        if space >= start:
            cut = space + 1
        else:
            cut = next((i for i in range(end, start, -1) if _may_cut(text, i)), end)
        yield text[start:cut]
        start = cut
    yield text[start:]


def _may_cut(text: str, i: int) -> bool:
    here, before = text[i], text[i - 1]
    return not (unicodedata.category(here).startswith("M") or here in _JOINERS
                or "\U0001f3fb" <= here <= "\U0001f3ff"
                or before in _JOINERS or unicodedata.combining(before) == _VIRAMA)


# A run of Devanagari: its letters, marks, digits, dandas and joiners, and the spaces inside it
_DEVANAGARI = re.compile("([\u0900-\u097f\u200c\u200d]+(?:[ \u00a0]+[\u0900-\u097f\u200c\u200d]+)*)")


def script_runs(text: str) -> Iterator[tuple[str, str]]:
    """``text`` cut into runs of one script: ("deva", ...) and ("latn", ...).  fpdf2 shapes a
    piece of text in the script its first letter has, so "Date / दिनांक" shaped whole puts the
    vowel sign of दि after its consonant; each run is shaped in its own script."""
    for run in _DEVANAGARI.split(text):
        if run:
            yield ("deva" if _DEVANAGARI.fullmatch(run) else "latn"), run


def write_text(pdf: "FPDF", height: float, text: str) -> None:
    """Write ``text`` at the cursor, flowing, each script run shaped in its script and cut
    into ``pieces``."""
    for script, run in script_runs(text):
        pdf.set_text_shaping(use_shaping_engine=True, script=script,
                             language="hin" if script == "deva" else "eng")
        for piece in pieces(run):
            pdf.write(height, piece)
    pdf.set_text_shaping(True)  # cells written after guess their script again


def text_width(pdf: "FPDF", text: str) -> float:
    """The width ``text`` takes when written by ``write_text``."""
    width = 0.0
    for script, run in script_runs(text):
        pdf.set_text_shaping(use_shaping_engine=True, script=script,
                             language="hin" if script == "deva" else "eng")
        width += pdf.get_string_width(run)
    pdf.set_text_shaping(True)
    return width
