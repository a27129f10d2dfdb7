"""A stand-in for an Aadhaar eSign service provider (ESP), on loopback, for the tests: it takes
the CCA eSign API's request documents, asks for an OTP, and answers with the signed response
document, as a licensed provider's pages do (without Aadhaar: the OTP is fixed).

It checks the request's signature against the office's registered ASP certificate, issues the person a
certificate from its own CA and signs the hash the request names as CMS (pyHanko), and signs
its answer with its CA key.  The answer goes back through the browser, as a form posted to the
request's response address.
"""

import asyncio
import html
import threading
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, request
from werkzeug.serving import make_server

from workflows.clock import utcnow
from workflows.signing import esign
from workflows.signing.pdf import key_signer

OTP = "123456"


def _ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stand-in ESP"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Stand-in eSign CA")])
    now = utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


class StandIn:
    """The stand-in ESP: ``url`` takes requests; ``certificate`` is its CA's; ``asp`` is the
    certificate of the ASP registered with it (set once the office has made one)."""

    def __init__(self, asp_certificate=None):
        self.key, self.certificate = _ca()
        self.asp = asp_certificate
        self.waiting = {}  # txn: (hash, response address)
        self.app = self._app()

    def person(self, name):
        """A key and a one-time certificate for the person who authenticated."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = utcnow()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                                         x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(self.certificate.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5))
                .not_valid_after(now + timedelta(minutes=30))
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .sign(self.key, hashes.SHA256()))
        return key, cert

    def answer(self, txn, otp, name="Ramesh Kumar Singh"):
        """The signed answer to ``txn`` after ``otp``; and where it goes."""
        digest, back = self.waiting.pop(txn)
        now = utcnow()
        if otp != OTP:
            return esign.answer_xml(txn=txn, certificate=None, cms=b"",
                                    error="OTP validation failed", key=self.key,
                                    signer=self.certificate, now=now), back
        key, cert = self.person(name)
        cms = asyncio.run(key_signer(key, cert, [self.certificate]).async_sign(
            digest, "sha256"))  # a CMS as providers make it, with its signing time
        return esign.answer_xml(txn=txn, certificate=cert, cms=cms.dump(), error="",
                                key=self.key, signer=self.certificate, now=now), back

    def _app(self):
        app = Flask("esign_standin")

        @app.post("/esign")
        def take():
            try:
                txn, digest, back = esign.read_request(request.form["eSignRequest"], self.asp)
            except Exception:  # any unreadable or wrongly signed request
                return "the request is not signed by a registered ASP", 400
            self.waiting[txn] = (digest, back)
            return (f"<form method=post action='/esign/otp'><input type=hidden name=txn "
                    f"value='{html.escape(txn)}'><label>OTP <input id=otp name=otp></label>"
                    f"<button id=authenticate>Authenticate and sign</button></form>")

        @app.post("/esign/otp")
        def authenticate():
            answer, back = self.answer(request.form["txn"], request.form.get("otp", ""))
            value = html.escape(answer.decode())
            return (f"<form id=back method=post action='{html.escape(back)}'>"
                    f"<input type=hidden name=eSignResponse value=\"{value}\">"
                    f"<button>Continue</button></form>"
                    "<script>document.getElementById('back').submit()</script>")
        return app

    def __enter__(self):
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/esign"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
