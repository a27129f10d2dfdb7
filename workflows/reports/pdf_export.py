"""A whole file as one PDF for the record room and for right-to-information requests: a cover
with number and subject, the note sheet, the correspondence, the drafts issued, and the full
track with holding times.  Devanagari is drawn with the Lohit Devanagari font, shaped by
HarfBuzz (fpdf2's text shaping).

Every piece of text is written in pieces (``workflows.typesetting``), each shaped on its own.
"""

from datetime import datetime

from fpdf import FPDF
from sqlalchemy.orm import Session
from zoneinfo import ZoneInfo

from ..files import attachments, dispatching, drafts, notesheet, receipts
from .. import reports
from ..clock import utcnow
from ..signing import notes as signed_notes
from ..typesetting import PIECE, font_path, pieces, write_text  # noqa: F401 (PIECE, pieces: tests)
from ..models import Dispatch, DraftVersion, File


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
        """A paragraph from the left margin, each script's run shaped in its script and
        written piece by piece (``typesetting.write_text``)."""
        self.set_font("deva", size=size)
        self.set_x(self.l_margin)
        write_text(self, height, text or "-")
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
    marks = signed_notes.marks(session, file)
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
            mark = marks.get(note.id)
            if mark is not None:
                pdf.para(f"    {'Signed / हस्ताक्षरित' if mark.valid else 'SIGNATURE DOES NOT MATCH'}"
                         f": {mark.signer}, {mark.post} · {_when(mark.signed_at, tz)}", size=9)


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
    sent = dispatching.dispatches_on(session, file) if issued else {}
    for draft in issued:
        versions: dict[int | None, DraftVersion] = {
            v.number: v for v in drafts.versions_of(session, draft.id)}
        body = versions.get(draft.approved_version)
        pdf.para(f"{draft.issue_number} · {draft.kind} · {draft.title} · "
                 f"{_when(draft.issued_at, tz)}")
        pdf.para(body.body if body else "", size=10)
        _dispatched(pdf, sent.get(draft.id))
    if not issued:
        pdf.para("-")


def _dispatched(pdf: _Pdf, entry: Dispatch | None) -> None:
    """How an issued draft left the office: the dispatch register's entry."""
    if entry is None:
        pdf.para("Not dispatched / अप्रेषित", size=9)
        return
    pdf.para(f"Dispatched / प्रेषित: {entry.number} · {entry.dispatched_on:%d-%m-%Y} · "
             f"{entry.mode} · To / सेवा में: {'; '.join(entry.addressee.splitlines())}", size=9)
    if entry.copies:
        pdf.para(f"Copy to / प्रतिलिपि: {'; '.join(entry.copies)}", size=9)
    if entry.acknowledged_on is not None:
        pdf.para(f"Acknowledged / पावती: {entry.acknowledged_on:%d-%m-%Y}, "
                 f"{entry.acknowledged_by}", size=9)
    pdf.ln(2)


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
