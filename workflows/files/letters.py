"""An issued letter or order as it leaves the office: the letterhead (the office's name in
Hindi and English), the dispatch (memo) number and date, the addressee, the subject, the
text, the signature block of the officer who issued it and the copy-to list.  The same
``Letter`` is printed as a PDF here and as the print-friendly page (web/dispatch.py).

Its labels are the document's own, in both languages whatever the reader's, as an Indian
office prints them; Devanagari is shaped by HarfBuzz through ``typesetting``.
"""

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF
from sqlalchemy.orm import Session

from ..models import Dispatch, Post, User
from ..signing.orders import KIND_HI
from ..typesetting import font_path, text_width, write_text
from .drafts import approved_text

LABELS = {"memo": "पत्रांक / Memo No.", "date": "दिनांक / Date", "to": "सेवा में / To",
          "subject": "विषय / Subject", "copy": "प्रतिलिपि / Copy to", "file": "संचिका / File",
          "issue": "निर्गम संख्या / Issue No.", "sign": "ह०/- Sd/-", "by": "प्रेषण / Sent"}
MODE_HI = {"By post": "डाक द्वारा", "By email": "ईमेल द्वारा", "By hand": "दस्ती"}


@dataclass(frozen=True)
class Letter:
    """What the letter says, as printed."""

    office_name: str
    office_name_hi: str
    memo_number: str
    dated: date
    issue_number: str
    file_number: str
    kind: str
    kind_hi: str
    title: str
    body: str
    addressee: list[str]
    copies: list[str]
    signer: str
    signer_hi: str
    post: str
    post_hi: str
    mode: str
    mode_hi: str

    @property
    def signature(self) -> list[str]:
        """The signature block's lines: the officer's name and post, Hindi first where the
        org chart has it, and the office."""
        lines = [self.signer_hi, self.signer, self.post_hi, self.post]
        return [line for line in lines if line] + [self.office_name]


def letter_of(session: Session, entry: Dispatch) -> Letter:
    """The letter of dispatch ``entry``."""
    draft, office = entry.draft, entry.office
    issuer: User | None = draft.issued_by
    post: Post | None = draft.issued_by_post
    return Letter(
        office_name=office.name, office_name_hi=office.name_hi or "",
        memo_number=entry.number, dated=entry.dispatched_on,
        issue_number=draft.issue_number or "", file_number=entry.file.number,
        kind=draft.kind, kind_hi=KIND_HI.get(draft.kind, draft.kind), title=draft.title,
        body=approved_text(session, draft) or "", addressee=entry.addressee.splitlines(),
        copies=entry.copies, signer=issuer.name if issuer else "",
        signer_hi=(issuer.name_hi or "") if issuer else "", post=post.title if post else "",
        post_hi=(post.title_hi or "") if post else "", mode=entry.mode,
        mode_hi=MODE_HI.get(entry.mode, entry.mode))


class _Sheet(FPDF):
    def __init__(self, foot: str) -> None:
        super().__init__(format="A4")
        self.foot = foot
        self.add_font("deva", "", str(font_path()))
        self.set_text_shaping(True)
        self.set_auto_page_break(True, margin=20)
        self.set_margins(20, 18, 20)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("deva", size=8)
        self.cell(0, 4, f"{self.foot} · {self.page_no()}", align="C")

    def line_of(self, text: str, size: float = 11, height: float = 6, align: str = "L") -> None:
        """A line of mixed Hindi and English, each script shaped in its own; centred or to the
        right when ``align`` says so."""
        self.set_font("deva", size=size)
        room = self.w - self.l_margin - self.r_margin
        # short of the margin by the cell's margins fpdf2's write() keeps, or the line wraps
        slack = 2 * self.c_margin + 0.5
        gap = max(0.0, room - text_width(self, text) - slack) if align != "L" else 0.0
        self.set_x(self.l_margin + {"C": gap / 2, "R": gap}.get(align, 0.0))
        write_text(self, height, text or " ")
        self.ln(height)


def letter_pdf(letter: Letter) -> bytes:
    """The letter as a PDF."""
    pdf = _Sheet(f"{letter.memo_number} · {letter.issue_number}")
    pdf.set_title(f"{letter.kind} {letter.memo_number}")
    pdf.set_author(letter.signer)
    pdf.add_page()
    if letter.office_name_hi:
        pdf.line_of(letter.office_name_hi, 15, 8, "C")
    pdf.line_of(letter.office_name, 14, 8, "C")
    pdf.line_of(f"{letter.kind_hi} / {letter.kind}", 12, 7, "C")
    pdf.ln(3)
    pdf.line_of(f"{LABELS['memo']}: {letter.memo_number}")
    pdf.line_of(f"{LABELS['date']}: {letter.dated:%d-%m-%Y}")
    pdf.line_of(f"{LABELS['issue']}: {letter.issue_number} · {LABELS['file']}: "
                f"{letter.file_number}", 9, 5)
    pdf.ln(3)
    pdf.line_of(f"{LABELS['to']},")
    for line in letter.addressee:
        pdf.line_of(f"    {line}")
    pdf.ln(3)
    pdf.line_of(f"{LABELS['subject']}: {letter.title}", 12, 7)
    pdf.ln(2)
    for paragraph in letter.body.split("\n"):
        pdf.line_of(paragraph)
    pdf.ln(8)
    pdf.line_of(LABELS["sign"], 11, 6, "R")
    for line in letter.signature:
        pdf.line_of(line, 11, 6, "R")
    if letter.copies:
        pdf.ln(4)
        pdf.line_of(f"{LABELS['copy']}:")
        for n, line in enumerate(letter.copies, 1):
            pdf.line_of(f"    {n}. {line}")
    pdf.ln(4)
    pdf.line_of(f"{LABELS['by']}: {letter.mode_hi} / {letter.mode}", 9, 5)
    return bytes(pdf.output())
