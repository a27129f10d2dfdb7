"""Aadhaar eSign's documents (the CCA eSign API, version 2.1): the request the office, as
application service provider (ASP), sends through the official's browser to the eSign service
provider (ESP), and the answer the ESP posts back once the official has authenticated there.

The request names the hash of what is to be signed (``InputHash``, SHA-256 in hex) and the
address the answer goes to, and is signed (XML-DSig, enveloped, RSA-SHA256) with the
office's ASP key, whose certificate the office registers with the provider; the answer carries
the signer's certificate and a PKCS#7 (CMS) signature of that hash, signed by the ESP.  The XML
signatures are signxml's, which checks that the element read is the one signed.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier, methods
from signxml.exceptions import InvalidInput as BadXml, InvalidSignature

from ..clock import IST
from ..errors import InvalidInput

VERSION = "2.1"
# Documents that come in are read without entities, DTDs or the network
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False)


def request_xml(*, asp_id: str, txn: str, digest: bytes, doc_info: str, response_url: str,
                key: rsa.RSAPrivateKey, certificate: x509.Certificate,
                now: datetime) -> bytes:
    """The signed ``<Esign>`` request for ``digest`` (a SHA-256 hash)."""
    root = etree.Element("Esign", ver=VERSION, sc="Y", ts=_ts(now), txn=txn, ekycId="",
                         ekycIdType="A", aspId=asp_id, AuthMode="1", responseSigType="pkcs7",
                         responseUrl=response_url)
    docs = etree.SubElement(root, "Docs")
    item = etree.SubElement(docs, "InputHash", id="1", hashAlgorithm="SHA256",
                            docInfo=doc_info[:50])
    item.text = digest.hex()
    signed = _signer(key).sign(root, key=key, cert=[_pem(certificate)])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class Answer:
    """What the ESP said: signed, with the signer's certificate and the CMS; or why not."""

    txn: str
    signed: bool
    error: str
    certificate: x509.Certificate | None
    cms: bytes


def txn_of(document: bytes | str) -> str:
    """The transaction id an answer names, read before its signature is checked (to find the
    request, and so the provider whose signature it must carry)."""
    root = _parse(document)
    txn = root.get("txn") or ""
    if root.tag != "EsignResp" or not txn:
        raise InvalidInput("the eSign answer is not an EsignResp naming its transaction")
    return txn


def read_answer(document: bytes | str, provider: x509.Certificate) -> Answer:
    """The answer, once its signature is checked against the provider's certificate."""
    try:
        verified = _verified(document, provider)
    except (InvalidSignature, BadXml, etree.XMLSyntaxError, ValueError):
        raise InvalidInput("the eSign answer is not signed by the office's eSign provider") \
            from None
    if verified is None or verified.tag != "EsignResp":
        raise InvalidInput("the eSign answer is not an EsignResp")
    txn, status = verified.get("txn") or "", verified.get("status")
    if status != "1":
        return Answer(txn, False, f"{verified.get('errCode', '')}: "
                                  f"{verified.get('errMsg', '')}".strip(": "), None, b"")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(
            verified.findtext("UserX509Certificate") or "", validate=True))
        cms = base64.b64decode(verified.findtext("Signatures/DocSignature") or "",
                               validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the eSign answer's certificate or signature cannot be read") \
            from None
    if not cms:
        raise InvalidInput("the eSign answer carries no signature")
    return Answer(txn, True, "", cert, cms)


def answer_xml(*, txn: str, certificate: x509.Certificate | None, cms: bytes, error: str,
               key: ec.EllipticCurvePrivateKey, signer: x509.Certificate,
               now: datetime) -> bytes:
    """An ``<EsignResp>`` as an ESP sends it (for a stand-in of one)."""
    root = etree.Element("EsignResp", ver=VERSION, status="0" if error else "1", ts=_ts(now),
                         txn=txn, resCode=txn, errCode="ESP-001" if error else "NA",
                         errMsg=error or "NA")
    if not error and certificate is not None:
        etree.SubElement(root, "UserX509Certificate").text = base64.b64encode(
            certificate.public_bytes(serialization.Encoding.DER)).decode()
        signatures = etree.SubElement(root, "Signatures")
        etree.SubElement(signatures, "DocSignature", id="1",
                         sigHashAlgorithm="SHA256").text = base64.b64encode(cms).decode()
    signed = _signer(key).sign(root, key=key, cert=[_pem(signer)])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def read_request(document: bytes | str, asp: x509.Certificate) -> tuple[str, bytes, str]:
    """(txn, hash, response address) of a request signed by ``asp`` (for a stand-in ESP)."""
    verified = _verified(document, asp)
    if verified is None or verified.tag != "Esign":
        raise InvalidInput("not an Esign request")
    return (verified.get("txn") or "", bytes.fromhex(verified.findtext("Docs/InputHash") or ""),
            verified.get("responseUrl") or "")


def _verified(document: bytes | str, signer: x509.Certificate) -> etree._Element | None:
    """The element ``signer`` signed in ``document`` (one signature expected)."""
    result = XMLVerifier().verify(_raw(document), x509_cert=_pem(signer))
    return result.signed_xml if not isinstance(result, list) else None


def _signer(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> XMLSigner:
    method = (SignatureMethod.RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey)
              else SignatureMethod.ECDSA_SHA256)
    return XMLSigner(method=methods.enveloped, signature_algorithm=method,
                     digest_algorithm=DigestAlgorithm.SHA256)


def _parse(document: bytes | str) -> etree._Element:
    try:
        return etree.fromstring(_raw(document), parser=_PARSER)
    except etree.XMLSyntaxError:
        raise InvalidInput("the eSign answer is not XML") from None


def _raw(document: bytes | str) -> bytes:
    return document.encode("utf-8") if isinstance(document, str) else document


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _ts(now: datetime) -> str:
    return now.astimezone(IST).strftime("%Y-%m-%dT%H:%M:%S")
