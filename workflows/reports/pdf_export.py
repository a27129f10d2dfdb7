"""A whole file as one PDF for the record room and for right-to-information requests: a cover
with number and subject, the note sheet, the correspondence, the drafts issued, and the full
track with holding times.  Devanagari is drawn with the Lohit Devanagari font, shaped by
HarfBuzz (fpdf2's text shaping).

fpdf2 (2.8.9, the latest) resolves bidirectional text with a recursion that walks a run of
neutral characters one call per character: a note of 1,000 ``-`` or 3,000 emoji exceeds Python's
recursion limit, and the time it takes grows with the square of the run.  So every piece of text
is written in pieces of at most ``PIECE`` characters (``pieces``), each shaped on its own.
"""

import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from sqlalchemy.orm import Session
from zoneinfo import ZoneInfo

from ..files import attachments, drafts, notesheet, receipts
from .. import reports
from ..clock import utcnow
from ..models import DraftVersion, File


def font_path() -> Path:
    """The Devanagari font shipped inside this package (Lohit Devanagari, SIL OFL 1.1, with its
    licence in ``fonts/OFL.txt``), so that the PDF needs no font installed on the machine.
    Package data beside this module (``workflows`` is a namespace package, which
    importlib.resources cannot read under an editable install on Python 3.11)."""
    return Path(__file__).parent / "fonts" / "Lohit-Devanagari.ttf"


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


def _when(moment: datetime | None, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%d-%m-%Y %H:%M") if moment else "-"


class _Pdf(FPDF):
    def __init__(self, number: str) -> None:
        super().__init__(format="A4")
        self.number = number
        self.add_font("deva", "", str(font_path()))
        self.set_font("deva", size=11)
        self.set_text_shaping(True)
        self.set_auto_page_break(True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("deva", size=8)
        self.cell(0, 8, f"{self.number} · {self.page_no()}", align="C")

    def heading(self, label: str) -> None:
        self.ln(3)
        self.para(label, size=14, height=8)
        self.set_font("deva", size=11)

    def para(self, text: str, size: float = 11, height: float = 6) -> None:
        """A paragraph from the left margin, written piece by piece (see ``pieces``)."""
        self.set_font("deva", size=size)
        self.set_x(self.l_margin)
        for piece in pieces(text or "-"):
            self.write(height, piece)
        self.ln(height)


def file_pdf(session: Session, file: File, now: datetime | None = None) -> bytes:
    """The PDF of ``file`` as bytes (the caller checks the viewer may see the file)."""
    now, tz = now or utcnow(), file.office.timezone
    pdf = _Pdf(file.number)
    pdf.add_page()
    pdf.para(file.number, size=20, height=12)
    pdf.para(file.subject, size=15, height=9)
    office = file.office.name + (f" / {file.office.name_hi}" if file.office.name_hi else "")
    for line in (office, f"Section: {file.section.name}", f"Priority: {file.priority}",
                 f"Status: {file.status} {file.outcome}".strip(),
                 f"Opened: {_when(file.created_at, tz)}", f"Closed: {_when(file.closed_at, tz)}",
                 f"Printed: {_when(now, tz)}"):
        pdf.para(line)
    _notes(pdf, session, file, tz)
    _correspondence(pdf, session, file, tz)
    _drafts(pdf, session, file, tz)
    _track(pdf, session, file, tz, now)
    return bytes(pdf.output())


def _notes(pdf: _Pdf, session: Session, file: File, tz: str) -> None:
    """The note sheet: a part's paragraphs under its step and post (see ``notesheet``)."""
    pdf.add_page()
    pdf.heading("Note sheet / टिप्पणी")
    for block in notesheet.note_sheet(session, file):
        if block.part is not None:
            post = block.part.post
            pdf.ln(2)
            pdf.para(f"Part / भाग: {block.part.step_name} · {post.title}"
                     + (f" / {post.title_hi}" if post.title_hi else ""), size=12, height=7)
        for note in block.paragraphs:
            pdf.para(f"{note.number}. {note.body}")
            pdf.para(f"    {note.author.name}, {note.author_post.title} · "
                     f"{_when(note.frozen_at or note.updated_at, tz)}", size=9)


def _correspondence(pdf: _Pdf, session: Session, file: File, tz: str) -> None:
    pdf.heading("Correspondence / पत्राचार")
    found = False
    for receipt in receipts.receipts_of(session, file):
        found = True
        pdf.para(f"{receipt.number}: {receipt.subject} ({receipt.sender_name}, "
                 f"{receipt.received_on:%d-%m-%Y})")
    for document in attachments.attachments_of(session, file):
        found = True
        pdf.para(f"{document.filename} ({document.size} bytes, {_when(document.uploaded_at, tz)})")
    if not found:
        pdf.para("-")


def _drafts(pdf: _Pdf, session: Session, file: File, tz: str) -> None:
    pdf.heading("Drafts issued / जारी प्रारूप")
    issued = [d for d in drafts.drafts_of(session, file) if d.status == "issued"]
    for draft in issued:
        versions: dict[int | None, DraftVersion] = {
            v.number: v for v in drafts.versions_of(session, draft.id)}
        body = versions.get(draft.approved_version)
        pdf.para(f"{draft.issue_number} · {draft.kind} · {draft.title} · "
                 f"{_when(draft.issued_at, tz)}")
        pdf.para(body.body if body else "", size=10)
    if not issued:
        pdf.para("-")


def _track(pdf: _Pdf, session: Session, file: File, tz: str, now: datetime) -> None:
    pdf.heading("Track with holding times / ट्रैक")
    widths = (44, 44, 36, 36, 30)
    pdf.set_font("deva", size=9)
    for label, width in zip(("Post", "Step", "From", "To", "Held"), widths, strict=True):
        pdf.cell(width, 7, label, border=1)
    pdf.ln()
    for stay in reports.file_stays(session, file, now=now):
        held = f"{stay.working_days} wd, {stay.hours:.1f} h"
        cells = (stay.post.title, stay.task.step_name, _when(stay.task.since, tz),
                 _when(stay.task.done_at, tz), held)
        for value, width in zip(cells, widths, strict=True):
            pdf.cell(width, 7, value[:40] if len(value) > 40 else value, border=1)
        pdf.ln()
    pdf.para("Holding time excludes periods when the file was parked; wd = working days.", size=8)
