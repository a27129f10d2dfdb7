"""The sanchika command for receipts and drafts: diarise, file, draft, approve, issue."""

import pytest
from click.testing import CliRunner

from web.cli import main

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def cli(demo_db, tmp_path):
    runner = CliRunner(env={"SANCHIKA_DATABASE_URL": demo_db,
                            "SANCHIKA_ATTACHMENTS": str(tmp_path / "store")})
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def ok(result):
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_a_letter_is_diarised_filed_answered_and_the_answer_issued(cli, tmp_path):
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(PDF)
    number = ok(cli("receipt", "diarise", "--office", "sadar", "--as", "manoj.yadav",
                    "--subject", "Encroachment near the ghat", "--sender", "Ram Prasad Rai",
                    "--letter-date", "2026-01-05", "--mode", "By hand", "--scan", str(scan)))
    assert number.startswith("SADAR/R/")
    assert number in ok(cli("receipt", "pending", "--as", "manoj.yadav"))
    filed = ok(cli("receipt", "file", number, "--as", "manoj.yadav", "--route", "land_mutation"))
    file_number = filed.split("in file ")[1]
    assert file_number.startswith("SADAR/REV/")
    assert "letter.pdf (application/pdf" in ok(cli("file", "show", file_number))
    assert ok(cli("receipt", "pending", "--as", "manoj.yadav")) == ""
    draft = ok(cli("file", "draft", file_number, "--as", "manoj.yadav", "--kind", "Notice",
                   "--title", "Notice to the encroacher", "--text", "Remove it in 7 days."))
    draft_id = draft.split("draft ")[1].split()[0]
    refused = cli("draft", "approve", draft_id, "--version", "1", "--as", "manoj.yadav")
    assert refused.exit_code == 1 and "(Notice) is approved by the competent authority (Circle " \
        "Inspector, Sadar)" in refused.stderr
    assert "approved and issued by Circle Inspector, Sadar or an officer above" in ok(
        cli("file", "show", file_number))
    ok(cli("file", "act", file_number, "--as", "manoj.yadav", "--choice", "Submit report"))
    ok(cli("draft", "approve", draft_id, "--version", "1", "--as", "rajesh.prasad"))
    assert ok(cli("draft", "issue", draft_id, "--as", "rajesh.prasad")).startswith(
        "SADAR/NOTICE/")


def test_mistakes_print_one_line(cli):
    result = cli("receipt", "diarise", "--office", "sadar", "--as", "manoj.yadav",
                 "--subject", "x", "--sender", " ", "--letter-date", "2026-01-05")
    assert result.exit_code == 1 and "the sender is missing" in result.stderr
    result = cli("receipt", "file", "SADAR/R/2026/9999", "--as", "manoj.yadav", "--into", "X")
    assert result.exit_code == 1 and "no receipt numbered" in result.stderr
    result = cli("receipt", "file", "SADAR/R/2026/9999", "--as", "manoj.yadav")
    assert result.exit_code == 1 and "give either --into" in result.stderr
    result = cli("draft", "issue", "424242", "--as", "manoj.yadav")
    assert result.exit_code == 1 and "no draft with the id 424242" in result.stderr
