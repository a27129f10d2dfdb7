"""Attachments are checked by what they contain, stored once by sha256, and size-limited."""

import hashlib

import pytest

from workflows.files import attachments, filing
from workflows.errors import InvalidInput, NotAllowed

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
MZ = b"MZ\x90\x00" + b"\x00" * 64


@pytest.fixture
def file(session, sadar, people):
    return filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation with documents")


def test_documents_are_stored_by_content_and_read_back(session, file, people, tmp_path):
    first = attachments.attach(session, number=file.number, user=people.manoj,
                               filename="sale deed.pdf", data=PDF, store=tmp_path)
    again = attachments.attach(session, number=file.number, user=people.manoj,
                               filename="copy.PDF", data=PDF, store=tmp_path)
    photo = attachments.attach(session, number=file.number, user=people.manoj,
                               filename="C:\\scans\\site.png", data=PNG, store=tmp_path)
    assert first.sha256 == again.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (first.content_type, photo.content_type, photo.filename) == (
        "application/pdf", "image/png", "site.png")
    assert len(list(tmp_path.rglob("*"))) == 6  # two blobs, each under two folder levels
    meta, data = attachments.read_attachment(session, first.id, tmp_path)
    assert data == PDF and meta.size == len(PDF)
    assert [a.filename for a in attachments.attachments_of(session, file)] == [
        "sale deed.pdf", "copy.PDF", "site.png"]


@pytest.mark.parametrize("filename, data, words", [
    ("setup.pdf", MZ, "is not a PDF, PNG, JPEG or TIFF"),
    ("report.pdf", ELF, "is not a PDF"),
    ("photo.pdf", PNG, "holds image/png but is named .pdf"),
    ("empty.pdf", b"", "is empty"),
    ("", PDF, "has no name"),
    ("big.pdf", b"%PDF-" + b"0" * (attachments.MAX_BYTES + 1), "the limit is 20 MB"),
])
def test_bad_documents_are_refused_with_the_reason(session, file, people, tmp_path,
                                                   filename, data, words):
    with pytest.raises(InvalidInput, match=words):
        attachments.attach(session, number=file.number, user=people.manoj, filename=filename,
                           data=data, store=tmp_path)
    assert not any(tmp_path.iterdir())


def test_only_the_holder_attaches(session, file, people, tmp_path):
    with pytest.raises(NotAllowed, match="only the official holding"):
        attachments.attach(session, number=file.number, user=people.rajesh, filename="x.pdf",
                           data=PDF, store=tmp_path)
