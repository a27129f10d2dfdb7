"""Signed checkpoints of the audit chain: the head signed with a key kept outside the
database, by hand, by the scheduler and at every backup, exported to a second place; a chain
rewritten (every hash computed afresh) or cut short after a checkpoint passes the chain's own
check and is named by the checkpoint, on both databases."""

import json
import logging
import os
from datetime import datetime, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from web.cli import main
from workflows import audit, org
from workflows.audit import checkpoints, keys
from workflows.clock import utcnow
from workflows.db import make_engine, make_sessionmaker
from workflows.deadlines import scheduler
from workflows.errors import InvalidInput
from workflows.files import filing, notes
from workflows.models import AuditEvent, Checkpoint
from workflows.models.audit import event_hash

BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def key(tmp_path):
    """Where the signing key lives in this test: outside the database, in a folder of its own."""
    return tmp_path / "keys" / "signing.key"


def _cli(url, key, *args, store=None):
    env = {"SANCHIKA_DATABASE_URL": url, "SANCHIKA_SIGNING_KEY": str(key),
           "SANCHIKA_ATTACHMENTS": str(store or key.parent.parent / "store")}
    return CliRunner(env=env).invoke(main, list(args))


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def _refused(result, words):
    """One line on stderr naming what is wrong, exit 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _work(url, times=1):
    """A file opened and noted, ``times`` over: events that chain rows of the record."""
    eng = make_engine(url)
    for n in range(times):
        with Session(eng) as session, session.begin():
            manoj = org.user_by_login(session, "manoj.yadav")
            number = filing.open_file(session, office=org.office_by_code(session, "SADAR"),
                                      user=manoj, route_key="land_mutation",
                                      subject=f"Mutation of plot {n}").number
            notes.add_note(session, number=number, user=manoj, body="Enquiry done.")
    eng.dispose()


def _busy(url, times):
    """Events that chain nothing of the record (so that cutting them off leaves it whole)."""
    eng = make_engine(url)
    for n in range(times):
        with Session(eng) as session, session.begin():
            audit.record(session, "test.busy", n=n)
    eng.dispose()


def _head(url):
    eng = make_engine(url)
    with Session(eng) as session:
        head = audit.chain_head(session)
    eng.dispose()
    return head


def _guards_off(conn):
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for (name,) in conn.execute(text("SELECT name FROM sqlite_master "
                                         "WHERE type = 'trigger'")).all():
            conn.execute(text(f'DROP TRIGGER "{name}"'))


def _rewrite_from(url, seq):
    """An intruder who holds the database (and not the key): the event ``seq`` is altered
    and every hash from it on is computed afresh, the head's too, so that the chain links."""
    events = AuditEvent.__table__
    eng = make_engine(url)
    with eng.begin() as conn:
        _guards_off(conn)
        rows = conn.execute(select(events).where(events.c.seq >= seq)
                            .order_by(events.c.seq)).all()
        last = rows[0].prev_hash
        for row in rows:
            detail = row.detail
            if row.seq == seq:
                detail = json.dumps(dict(json.loads(detail), forged=True), sort_keys=True)
            digest = event_hash(row.seq, row.at, row.user_id, row.office_id, row.file_id,
                                row.action, detail, last)
            conn.execute(events.update().where(events.c.id == row.id)
                         .values(detail=detail, prev_hash=last, hash=digest))
            last = digest
        conn.execute(text("UPDATE audit_chain SET hash = :h WHERE id = 1"), {"h": last})
    eng.dispose()


def _cut_to(url, seq):
    """An intruder cuts the chain's tail off after ``seq`` and moves the head back."""
    eng = make_engine(url)
    with eng.begin() as conn:
        _guards_off(conn)
        digest = conn.execute(text("SELECT hash FROM audit_events WHERE seq = :s"),
                              {"s": seq}).scalar()
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": seq})
        conn.execute(text("UPDATE audit_chain SET seq = :s, hash = :h WHERE id = 1"),
                     {"s": seq, "h": digest})
    eng.dispose()


@BOTH
def test_the_head_is_signed_exported_and_verified_with_the_public_key(demo_db, key, tmp_path):
    made = _ok(_cli(demo_db, key, "keys", "new"))
    assert key.stat().st_mode & 0o777 == 0o600 and "made at" in made.output
    _work(demo_db)
    seq, digest = _head(demo_db)
    signed = _ok(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "district")))
    assert f"event {seq}, hash {digest}" in signed.output and "1 new, 1 in all" in signed.output
    line = json.loads((tmp_path / "district" / "checkpoints.jsonl").read_text())
    assert (line["seq"], line["hash"]) == (seq, digest)
    assert set(line) == {"seq", "hash", "at", "key_id", "signature"}
    public = tmp_path / "office.pub"
    public.write_text(_ok(_cli(demo_db, key, "keys", "show")).output)
    assert line["key_id"] in public.read_text() and "PRIVATE" not in public.read_text()
    result = _ok(_cli(demo_db, key, "verify", "--checkpoints",
                      str(tmp_path / "district" / "checkpoints.jsonl"), "--public-key", str(public)))
    assert f"stored checkpoints: 1 signed, all hold; the last vouches for event {seq}" \
        in result.output
    assert "exported checkpoints: 1 signed, all hold" in result.output
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "district")))
    again = _ok(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "district")))
    assert "1 new, 3 in all" in again.output  # appended, never written twice
    assert len((tmp_path / "district" / "checkpoints.jsonl").read_text().splitlines()) == 3


@BOTH
def test_a_chain_rewritten_after_a_checkpoint_is_named_by_that_checkpoint(demo_db, key,
                                                                          tmp_path):
    _ok(_cli(demo_db, key, "keys", "new"))
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint"))
    vouched = _head(demo_db)[0]
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "district")))
    second = _head(demo_db)[0]
    _work(demo_db)
    _rewrite_from(demo_db, vouched + 2)
    result = _cli(demo_db, key, "verify")
    assert "audit chain intact" in result.output  # the chain alone links: rewritten afresh
    assert "record intact" in result.output
    assert result.exit_code == 1
    assert (f"stored checkpoints: BROKEN: rewritten: the chain was rewritten: event {second} "
            f"differs from checkpoint 2 (event {second}, signed") in result.stderr
    assert f"the chain still matches checkpoint 1 (event {vouched}, signed" in result.stderr
    # the intruder takes the stored checkpoints away too: the exported copy still tells
    eng = make_engine(demo_db)
    with eng.begin() as conn:
        _guards_off(conn)
        conn.execute(text("DELETE FROM audit_checkpoints"))
    eng.dispose()
    copy = tmp_path / "district" / "checkpoints.jsonl"
    result = _cli(demo_db, key, "verify", "--checkpoints", str(copy), "--public-key",
                  str(tmp_path / "district" / "public-keys.pem"))
    assert result.exit_code == 1 and "stored checkpoints: none" in result.output
    assert (f"exported checkpoints: BROKEN: rewritten: the chain was rewritten: event {second} "
            f"differs from {copy} line 2 (event {second}") in result.stderr


@BOTH
def test_a_chain_cut_short_below_the_last_checkpoint_is_named_as_such(demo_db, key):
    _ok(_cli(demo_db, key, "keys", "new"))
    _work(demo_db)
    kept = _head(demo_db)[0]
    _ok(_cli(demo_db, key, "checkpoint"))
    _busy(demo_db, 3)
    _ok(_cli(demo_db, key, "checkpoint"))
    _cut_to(demo_db, kept + 1)
    result = _cli(demo_db, key, "verify")
    assert "audit chain intact" in result.output and "record intact" in result.output
    assert result.exit_code == 1
    assert (f"truncated: the chain was cut short: it ends at event {kept + 1}, below "
            f"checkpoint 2 (event {kept + 3}, signed") in result.stderr
    assert "(1 checkpoint(s) lie beyond its end)" in result.stderr


@BOTH
def test_a_chain_broken_since_the_last_checkpoint_is_not_signed(demo_db, key):
    _ok(_cli(demo_db, key, "keys", "new"))
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint"))
    _work(demo_db)
    eng = make_engine(demo_db)
    with eng.begin() as conn:
        _guards_off(conn)
        conn.execute(text("UPDATE audit_events SET action = 'forged' WHERE seq = "
                          "(SELECT max(seq) FROM audit_events)"))
    eng.dispose()
    _refused(_cli(demo_db, key, "checkpoint"), "the audit chain is broken")
    eng = make_engine(demo_db)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar() == 1
    eng.dispose()


def test_rotating_the_key_keeps_the_old_checkpoints_verifiable(demo_db, key, tmp_path):
    _ok(_cli(demo_db, key, "keys", "new"))
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint"))
    old = keys.load_signer(key).key_id
    rotated = _ok(_cli(demo_db, key, "keys", "rotate"))
    new = keys.load_signer(key).key_id
    assert new != old and f"{new} replaces {old}" in rotated.output
    assert key.stat().st_mode & 0o777 == 0o600
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint"))
    shown = _ok(_cli(demo_db, key, "keys", "show")).output
    assert shown.index(f"{new} (current)") < shown.index(f"{old} (kept)")
    result = _ok(_cli(demo_db, key, "verify"))
    assert "stored checkpoints: 2 signed, all hold" in result.output
    # a second place that kept only the new public key cannot vouch for the old checkpoint
    only_new = tmp_path / "new.pub"
    only_new.write_text(next(k.pem() for k in keys.public_keys(key) if k.key_id == new))
    result = _cli(demo_db, key, "verify", "--public-key", str(only_new))
    assert result.exit_code == 1
    seq = _first_seq(demo_db)
    assert (f"unknown key: 1 checkpoint(s), events {seq} to {seq}, are signed by key "
            f"{old}, which is not among the public keys at {only_new}") in result.stderr


def _first_seq(url):
    eng = make_engine(url)
    with eng.connect() as conn:
        seq = conn.execute(text("SELECT seq FROM audit_checkpoints ORDER BY id")).first()[0]
    eng.dispose()
    return seq


def test_a_checkpoint_altered_or_signed_by_another_key_is_named(demo_db, key, tmp_path):
    _ok(_cli(demo_db, key, "keys", "new"))
    _work(demo_db)
    _ok(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "d")))
    copy = tmp_path / "d" / "checkpoints.jsonl"
    line = json.loads(copy.read_text())
    line["seq"] -= 1  # a checkpoint moved to another event: its signature no longer fits
    copy.write_text(json.dumps(line) + "\n")
    result = _cli(demo_db, key, "verify", "--checkpoints", str(copy))
    assert result.exit_code == 1
    assert (f"exported checkpoints: BROKEN: forged: the signature of {copy} line 1 (event "
            f"{line['seq']}, signed") in result.stderr
    assert f"does not verify with key {line['key_id']}" in result.stderr
    # someone else's key, put into the table under this key's name
    keys.new_key(tmp_path / "stranger.key")
    stranger = keys.load_signer(tmp_path / "stranger.key")
    seq, digest = _head(demo_db)
    draft = checkpoints.Signed(seq, digest, utcnow(), keys.load_signer(key).key_id, "")
    eng = make_engine(demo_db)
    with make_sessionmaker(eng).begin() as session:
        session.add(Checkpoint(seq=seq, hash=digest, at=draft.at, key_id=draft.key_id,
                               signature=stranger.sign(draft.message())))
    eng.dispose()
    result = _cli(demo_db, key, "verify")
    assert result.exit_code == 1 and "forged: the signature of checkpoint 2" in result.stderr


def test_bad_keys_and_bad_copies_are_told_in_one_line(demo_db, key, tmp_path):
    _refused(_cli(demo_db, key, "checkpoint"), f"there is no signing key at {key}")
    _refused(_cli(demo_db, key, "keys", "show"), "make one with 'sanchika keys new'")
    _refused(_cli(demo_db, key, "keys", "rotate"), f"there is no signing key at {key}")
    _ok(_cli(demo_db, key, "keys", "new"))
    _refused(_cli(demo_db, key, "keys", "new"), "use 'sanchika keys rotate'")
    key.chmod(0o644)
    _refused(_cli(demo_db, key, "checkpoint"), f"chmod 600 {key}")
    key.chmod(0o600)
    _ok(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "d")))
    copy = tmp_path / "d" / "checkpoints.jsonl"
    good = copy.read_text()
    for junk, why in (("{not json", "it is not JSON"),
                      ('{"seq": 3}', "it lacks one of seq, hash, at, key_id and signature"),
                      (good.replace('"seq": ', '"seq": -'), "its seq is not a whole number"),
                      (good.replace('"hash": "', '"hash": "zz'), "its hash is not 64 hex digits"),
                      (good.replace('"at": "', '"at": "soon'), "its time is not an ISO time")):
        copy.write_text(good + junk + "\n")
        _refused(_cli(demo_db, key, "verify", "--checkpoints", str(copy)),
                 f"{copy} line 2 is not a checkpoint: {why}")
    _refused(_cli(demo_db, key, "verify", "--checkpoints", str(tmp_path / "gone.jsonl")),
             "cannot be read")
    wrong = tmp_path / "wrong.pub"
    wrong.write_text("ssh-ed25519 AAAAC3Nza not a PEM key\n")
    _refused(_cli(demo_db, key, "verify", "--public-key", str(wrong)), "holds no public key")
    _refused(_cli(demo_db, key, "verify", "--public-key", str(tmp_path / "none.pub")),
             f"the public key file {tmp_path / 'none.pub'} cannot be read")
    copy.write_text(good + "{not json\n")  # an export never appends to a copy it cannot read
    _refused(_cli(demo_db, key, "checkpoint", "--export", str(tmp_path / "d")),
             f"{copy} line 2 is not a checkpoint: it is not JSON")
    assert copy.read_text() == good + "{not json\n"
    key.write_text("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    _refused(_cli(demo_db, key, "checkpoint"), "is not an Ed25519 signing key")
    _refused(_cli(demo_db, key, "keys", "show"), "is not an Ed25519 signing key")


def test_checkpoints_with_no_public_key_to_check_them_are_a_finding(demo_db, key):
    _ok(_cli(demo_db, key, "keys", "new"))
    _ok(_cli(demo_db, key, "checkpoint"))
    key.unlink()
    keys.keyring_path(key).unlink()
    result = _cli(demo_db, key, "verify")
    assert result.exit_code == 1
    assert "no key: 1 checkpoint(s) cannot be checked: there is no public key at" \
        in result.stderr


def test_the_scheduler_signs_the_head_when_it_has_moved(demo_db, key, caplog, monkeypatch):
    eng = make_engine(demo_db)
    sessions = make_sessionmaker(eng)
    jobs = scheduler.register_jobs(BackgroundScheduler(timezone="UTC"), sessions, lambda: None,
                                   signing_key=key)
    job = jobs.get_job("sanchika.checkpoint")
    assert job.trigger.interval.total_seconds() == 300
    with caplog.at_level(logging.WARNING, logger="sanchika.scheduler"):
        job.func(*job.args)  # no key yet: told, not raised
    assert f"no checkpoint signed: there is no signing key at {key}" in caplog.text
    keys.new_key(key)
    job.func(*job.args)
    job.func(*job.args)  # nothing new in the chain: no second checkpoint
    _work(demo_db)
    job.func(*job.args)
    with sessions() as session:
        made = session.execute(select(Checkpoint.seq, Checkpoint.hash)
                               .order_by(Checkpoint.id)).all()
        assert len(made) == 2 and tuple(made[-1]) == audit.chain_head(session)
    eng.dispose()
    monkeypatch.setenv("SANCHIKA_CHECKPOINT_INTERVAL", "60")
    assert scheduler.checkpoint_interval() == 60
    monkeypatch.setenv("SANCHIKA_CHECKPOINT_INTERVAL", "often")
    with pytest.raises(InvalidInput, match="whole number of seconds"):
        scheduler.checkpoint_interval()
    result = CliRunner(env={"SANCHIKA_DATABASE_URL": demo_db}).invoke(main, ["scheduler"])
    _refused(result, "SANCHIKA_CHECKPOINT_INTERVAL must be a whole number of seconds")


@BOTH
def test_every_backup_signs_its_own_head_and_records_the_checkpoint(demo_db, key, tmp_path):
    _work(demo_db)
    unsigned = _cli(demo_db, key, "backup", str(tmp_path / "before-key"))
    assert unsigned.exit_code == 0, unsigned.output
    assert "warning: the backup has no signed checkpoint: there is no signing key" \
        in unsigned.stderr
    assert json.loads((tmp_path / "before-key" / "manifest.json").read_text())[
        "checkpoint"] is None
    _ok(_cli(demo_db, key, "keys", "new"))
    made = _ok(_cli(demo_db, key, "backup", str(tmp_path / "bk")))
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    signed = manifest["checkpoint"]
    assert (signed["seq"], signed["hash"]) == (manifest["audit_seq"], manifest["audit_hash"])
    assert f"signed with key {signed['key_id']}" in made.output
    copy = tmp_path / "manifest-checkpoint.jsonl"
    copy.write_text(json.dumps(signed) + "\n")  # the manifest's checkpoint, as an export holds it
    result = _ok(_cli(demo_db, key, "verify", "--checkpoints", str(copy)))
    assert "stored checkpoints: 1 signed, all hold" in result.output
    assert "exported checkpoints: 1 signed, all hold" in result.output


def test_the_signature_covers_every_field_but_itself(key):
    keys.new_key(key)
    signer = keys.load_signer(key)
    cp = checkpoints.Signed(7, "a" * 64, datetime(2026, 12, 3, 5, 0, tzinfo=timezone.utc),
                            signer.key_id, "")
    cp = checkpoints.Signed(cp.seq, cp.hash, cp.at, cp.key_id, signer.sign(cp.message()))
    public = keys.public_keys(key)
    assert checkpoints._verifies(public[0], cp)
    for changed in (dict(seq=8), dict(hash="b" * 64), dict(key_id="0" * 16),
                    dict(at=datetime(2026, 12, 3, 5, 1, tzinfo=timezone.utc))):
        fields = dict(seq=cp.seq, hash=cp.hash, at=cp.at, key_id=cp.key_id,
                      signature=cp.signature) | changed
        assert not checkpoints._verifies(public[0], checkpoints.Signed(**fields))
    assert os.stat(key).st_mode & 0o077 == 0
