"""An issued order as a PDF, signed as PAdES with pyHanko, and the check of a PDF brought back.

The order is drawn with fpdf2 in the product's Devanagari font, shaped by HarfBuzz, bilingual
where the office has a Hindi name; a QR code (segno) in its corner carries the address of the
public verification page, and the short code under it can be typed there.  The signature is
PAdES baseline B-B (an ETSI.CAdES.detached signature over the whole file, SHA-256), which
Adobe Reader and ``pyhanko sign validate`` check once the office's certificate is trusted.
Nothing here reads the database.
"""

import asyncio
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import segno
from asn1crypto import keys as asn1_keys, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..typesetting import font_path, text_width, write_text

FIELD = "Signature1"


@dataclass(frozen=True)
class OrderSheet:
    """What an issued order says, as printed."""

    office_name: str
    office_name_hi: str | None
    issue_number: str
    kind: str
    kind_hi: str
    title: str
    body: str
    issued_on: date
    post_title: str
    signer_name: str
    verify_url: str
    short_code: str


class _Sheet(FPDF):
    def __init__(self, foot: str) -> None:
        super().__init__(format="A4")
        self.foot = foot
        self.add_font("deva", "", str(font_path()))
        self.set_text_shaping(True)
        self.set_auto_page_break(True, margin=20)
        self.set_margins(20, 20, 20)

    def footer(self) -> None:
        """The verification address and the page, at the foot of every page."""
        self.set_y(-14)
        self.set_font("deva", size=8)
        self.cell(0, 4, f"{self.foot} · {self.page_no()}", align="C")

    def line_of(self, text: str, size: float, height: float, align: str = "L") -> None:
        """A line (or paragraph) of mixed Hindi and English, each script shaped in its own
        (``typesetting.write_text``); centred or to the right when ``align`` says so."""
        self.set_font("deva", size=size)
        room = self.w - self.l_margin - self.r_margin
        gap = max(0.0, room - text_width(self, text))
        self.set_x(self.l_margin + {"C": gap / 2, "R": gap}.get(align, 0.0))
        write_text(self, height, text or "-")
        self.ln(height)


def order_pdf(sheet: OrderSheet) -> bytes:
    """The order as an unsigned PDF; the same sheet gives the same bytes."""
    pdf = _Sheet(f"{sheet.issue_number} · Verify / सत्यापन: {sheet.verify_url}")
    pdf.set_creation_date(datetime.combine(sheet.issued_on, time(0), timezone.utc))
    pdf.set_title(f"{sheet.kind} {sheet.issue_number}")
    pdf.set_author(sheet.signer_name)
    pdf.add_page()
    _qr(pdf, sheet)
    pdf.line_of(sheet.office_name, 15, 8, "C")
    if sheet.office_name_hi:
        pdf.line_of(sheet.office_name_hi, 14, 8, "C")
    pdf.line_of(f"{sheet.kind} / {sheet.kind_hi}", 13, 8, "C")
    pdf.ln(4)
    pdf.line_of(f"No. / संख्या: {sheet.issue_number}", 11, 6)
    pdf.line_of(f"Date / दिनांक: {sheet.issued_on:%d-%m-%Y}", 11, 6)
    pdf.ln(3)
    pdf.line_of(f"Subject / विषय: {sheet.title}", 12, 7)
    pdf.ln(3)
    for paragraph in sheet.body.split("\n"):
        pdf.line_of(paragraph, 11, 6)
    pdf.ln(10)
    for text in (sheet.signer_name, sheet.post_title, sheet.office_name,
                 "Digitally signed / डिजिटल हस्ताक्षरित"):
        pdf.line_of(text, 11, 6, "R")
    return bytes(pdf.output())


def _qr(pdf: _Sheet, sheet: OrderSheet) -> None:
    """The QR code of the verification address at the top right, the short code under it
    (the address itself is in every page's foot)."""
    image = io.BytesIO()
    segno.make(sheet.verify_url, error="m").save(image, kind="png", scale=4, border=1)
    image.seek(0)
    side, x = 28.0, pdf.w - pdf.r_margin - 28.0
    pdf.image(image, x=x, y=10, w=side, h=side)
    pdf.set_font("deva", size=8)
    pdf.set_xy(x - 6, 10 + side)
    pdf.cell(side + 12, 4, sheet.short_code, align="C")
    pdf.set_xy(pdf.l_margin, 20)


def key_signer(private_key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate,
               chain: Sequence[x509.Certificate]) -> signers.Signer:
    """A pyHanko signer for a key in memory and its certificate, with the issuers above it."""
    der = private_key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1(certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in chain]))


def sign_pdf(pdf: bytes, signer: signers.Signer, *, reason: str, location: str,
             name: str) -> bytes:
    """``pdf`` signed by ``signer`` as PAdES B-B in a new signature field."""
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=reason, location=location, name=name)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=io.BytesIO())
    return out.getvalue()


@dataclass(frozen=True)
class Prepared:
    """A PDF with room kept for a signature made elsewhere (an eSign provider's), and the
    digest of what that signature covers."""

    pdf: bytes
    digest: bytes
    region_start: int
    region_end: int


EXTERNAL_ROOM = 24576  # hex digits kept for the provider's CMS (its chain included)


def prepare_external(pdf: bytes, *, reason: str, location: str, name: str) -> Prepared:
    """``pdf`` with a signature field whose signature will come from outside.  Its sub-filter
    is adbe.pkcs7.detached, not PAdES: a provider chooses the signed attributes of its CMS
    (a signing time among them, which PAdES forbids)."""
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
                                        reason=reason, location=location, name=name)
    placeholder = signers.ExternalSigner(signing_cert=None, cert_registry=None,
                                         signature_value=bytes(256))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    digest, _tbs, _out = asyncio.run(signers.PdfSigner(meta, signer=placeholder)
                                     .async_digest_doc_for_signing(
                                         writer, bytes_reserved=EXTERNAL_ROOM, output=out))
    return Prepared(out.getvalue(), digest.document_digest, digest.reserved_region_start,
                    digest.reserved_region_end)


def finish_external(prepared: Prepared, cms: bytes) -> bytes:
    """The prepared PDF with the CMS signature made elsewhere put in its room."""
    if len(cms) * 2 > prepared.region_end - prepared.region_start - 2:
        raise ValueError("the signature is larger than the room kept for it")
    out = io.BytesIO(prepared.pdf)
    PdfTBSDocument.finish_signing(out, PreparedByteRangeDigest(
        prepared.digest, prepared.region_start, prepared.region_end), cms)
    return out.getvalue()


@dataclass(frozen=True)
class PdfCheck:
    """What a PDF is: valid, tampered, unsigned, untrusted or not a pdf."""

    status: str
    signer_serial: int | None
    signer_subject: str | None
    signed_at: datetime | None
    sha256: str


def check_pdf(data: bytes, trust_roots: Sequence[x509.Certificate]) -> PdfCheck:
    """Check ``data``'s one signature against ``trust_roots`` (revocation is the caller's:
    it knows its certificates)."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        return PdfCheck("not a pdf" if not data.startswith(b"%PDF-") else "tampered",
                        None, None, None, sha)
    if not embedded:
        return PdfCheck("unsigned", None, None, None, sha)
    signature = embedded[0]
    cert = signature.signer_cert
    serial, subject = cert.serial_number, cert.subject.human_friendly
    context = ValidationContext(trust_roots=[asn1(c) for c in trust_roots],
                                allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = asyncio.run(async_validate_pdf_signature(signature, context))
    except (PdfError, SigningError, ValueError, KeyError, TypeError):
        return PdfCheck("tampered", serial, subject, None, sha)
    signed_at = status.signer_reported_dt
    if len(embedded) > 1 or not status.intact or not status.valid:
        verdict = "tampered"
    elif status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        verdict = "tampered"  # bytes added after the signature
    elif not status.trusted:
        verdict = "untrusted"
    else:
        verdict = "valid"
    return PdfCheck(verdict, serial, subject, signed_at, sha)


def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The certificate as pyHanko takes it (asn1crypto's)."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
