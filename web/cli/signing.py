"""``sanchika signing``: an office's signing authority and what it publishes."""

from pathlib import Path

import click

from workflows import org
from workflows.models import PROVIDERS
from workflows.signing import authority

from .common import session_scope


@click.group("signing")
def signing_group():
    """The office's signing authority: its officials sign notes sent and orders issued."""


@signing_group.command("setup")
@click.argument("office")
@click.option("--provider", type=click.Choice(PROVIDERS), default="builtin", show_default=True,
              help="builtin: keys kept here under each official's PIN; pkcs11: USB tokens")
@click.option("--token-module", default=None, metavar="PATH",
              help="the tokens' PKCS#11 library (with --provider pkcs11)")
@click.option("--esign-url", default="", help="the eSign provider's address (--provider esign)")
@click.option("--esign-asp-id", default="", help="the office's ASP id at the eSign provider")
@click.option("--esign-certificate", default=None, type=click.Path(dir_okay=False, exists=True,
              path_type=Path), help="the eSign provider's certificate (PEM file)")
@session_scope
def signing_setup(session, office, provider, token_module, esign_url, esign_asp_id,
                  esign_certificate):
    """Make OFFICE's signing authority (its key goes to SANCHIKA_AUTHORITY_DIR)."""
    found = org.office_by_code(session, office)
    made = authority.create_authority(session, None, found)
    esign = authority.Esign(esign_url, esign_asp_id, esign_certificate.read_text()
                            if esign_certificate else "") if provider == "esign" else None
    authority.set_provider(session, None, found, provider, token_module, esign)
    click.echo(f"{office.upper()}: signing authority {made.key_id} made "
               f"(key in {authority.authority_dir()}; keep a copy of it with the backups)")


@signing_group.command("crl")
@click.argument("office")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="where to write the CRL (DER)")
@session_scope
def signing_crl(session, office, output):
    """Write OFFICE's certificate revocation list, as its web address publishes it."""
    output.write_bytes(authority.crl(session, org.office_by_code(session, office)))
    click.echo(f"CRL of {office.upper()} written to {output}")


COMMANDS = (signing_group,)
FILE_COMMANDS = ()
