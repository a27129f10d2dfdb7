"""Mixed Hindi and English on the PDFs: each script's run is shaped in its own script, so a
line that begins in English keeps its Devanagari matras where they belong."""

import io
import re

from fpdf import FPDF
from pypdf import PdfReader

from workflows.typesetting import font_path, script_runs, write_text


def glyphs_by_line(write):
    """The glyphs drawn on each line (by height on the page) when ``write(pdf)`` runs."""
    pdf = FPDF()
    pdf.add_font("deva", "", str(font_path()))
    pdf.set_font("deva", size=12)
    pdf.set_text_shaping(True)
    pdf.add_page()
    write(pdf)
    stream = PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].get_contents().get_data()
    lines = {}
    for block in re.findall(rb"BT (.*?) ET", stream, re.S):
        where = re.match(rb"[\d.]+ ([\d.]+) Td", block)
        if where:
            lines.setdefault(where.group(1), []).extend(re.findall(rb"\((.*?)\) Tj", block, re.S))
    return [glyphs for _, glyphs in sorted(lines.items(), reverse=True)]


def test_a_line_beginning_in_english_shapes_its_hindi_as_hindi():
    def both(pdf):
        write_text(pdf, 6, "Date / दिनांक")
        pdf.ln(6)
        write_text(pdf, 6, "दिनांक")
    mixed, alone = glyphs_by_line(both)
    assert mixed[-len(alone):] == alone


def test_the_runs_keep_every_character_and_the_spaces_between_hindi_words():
    text = "Relief to 42 families. पनापुर के परिवारों को राहत। Sd/-"
    runs = list(script_runs(text))
    assert "".join(run for _, run in runs) == text
    assert ("deva", "पनापुर के परिवारों को राहत।") in runs
