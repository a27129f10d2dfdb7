"""Mail as readers see it: Hindi subjects keep their spaces (each encoded word holds whole
words, with the space after them inside it, since a reader drops the spaces between encoded
words), and links start with the address the app is served on."""

import base64
import re
import socket
from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from web.cli.serving import record_address
from workflows.mail import notices
from workflows.mail.headers import subject_header
from workflows.mail.outbox import build_message
from workflows.models import File, OutboxMail

SUBJECTS = [
    "[Sanchika] स्मरण: संचिका DDMO/2026/0001 समय-सीमा पार / Reminder: file DDMO/2026/0001 is "
    "past its limit",
    "[Sanchika] कार्यालय प्रधान को सूचना: संचिका CO-SADAR/2026/0012 अंचल अधिकारी, सदर के पास "
    "लंबित / Escalation to the head of office",
    "Sanchika: आपका खाता",
    "plain words only",
    "अनुमंडलपदाधिकारीकार्यालयसारणछपराबिहारकीसंचिका एक",  # one word longer than an encoded word
]
ENCODED = re.compile(r"=\?utf-8\?b\?([A-Za-z0-9+/=]+)\?=")


def sent(subject):
    mail = OutboxMail(id=7, to_addrs="officer@example.org", cc_addrs="", subject=subject,
                      body="text",
                      created_at=datetime(2024, 3, 1, tzinfo=timezone.utc))
    return build_message(mail).as_bytes(policy=policy.SMTP)


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_subject_reads_back_as_written(subject):
    raw = sent(subject)
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    assert all(len(line) <= 78 for line in head.split("\r\n"))


@pytest.mark.parametrize("subject", SUBJECTS[:3])
def test_no_encoded_word_cuts_a_word(subject):
    words = [base64.b64decode(w).decode() for w in ENCODED.findall(subject_header(subject))]
    assert words
    whole = set(subject.split(" "))
    for word in words:
        assert set(word.rstrip(" ").split(" ")) <= whole, word


def test_text_looking_like_an_encoded_word_stays_text():
    subject = "remark =?utf-8?q?Pwned?= ends"
    assert message_from_bytes(sent(subject), policy=policy.default)["Subject"] == subject


@pytest.mark.parametrize("host, port, base", [
    ("127.0.0.1", 5101, "http://127.0.0.1:5101/"),
    ("::1", 5101, "http://[::1]:5101/"),
    ("0.0.0.0", 8080, f"http://{socket.getfqdn()}:8080/"),  # noqa: S104 (not bound here)
])
def test_mail_links_start_with_the_address_served_on(monkeypatch, host, port, base):
    monkeypatch.setenv("SANCHIKA_BASE_URL", "")  # unset, and put back as it was afterwards
    record_address(host, port)
    assert notices.base_url() == base
    assert notices.file_link(File(id=12)) == base + "files/12"


def test_the_base_url_setting_wins(monkeypatch):
    monkeypatch.setenv("SANCHIKA_BASE_URL", "https://eoffice.saran.example/")
    record_address("127.0.0.1", 5101)
    assert notices.base_url("http://127.0.0.1:5101/") == "https://eoffice.saran.example/"
