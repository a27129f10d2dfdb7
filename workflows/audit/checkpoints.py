"""Signed checkpoints: the audit chain's head, signed with a key kept outside the database.

Someone who can write the tables can rewrite the chain's tail and compute every hash after it
afresh, or cut the tail off and move the head back: the chain alone still links.  A checkpoint
(the last event's seq and hash, the moment, the key's id, signed with Ed25519) made before the
rewrite no longer matches, and cannot be made again without the private key.  The scheduler
makes one every few minutes, every backup makes one, and ``sanchika checkpoint --export DIR``
copies them, as JSON lines, to a second place.  A checkpoint is signed only after the chain
is walked from the last checkpoint that our keys vouch for up to the head being signed, so a
chain rewritten before that checkpoint is never signed.

``check`` holds checkpoints (stored or exported) against the chain and names, by checkpoint,
a chain rewritten after one (its event's hash differs) or cut short (the chain ends below it).
"""

import base64
import binascii
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .. import audit
from ..clock import utcnow
from ..errors import InvalidInput, Moment, NotAllowed, Sentence
from ..models import AuditEvent, Checkpoint
from ..models.audit import GENESIS
from .keys import PublicKey, Signer, keyring_text, load_signer, public_keys

EXPORT_NAME = "checkpoints.jsonl"
KEYS_NAME = "public-keys.pem"
VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("seq", "hash", "at", "key_id", "signature")


def _instant(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Signed:
    """A checkpoint as signed, from the table or from an exported copy; ``name`` says which
    one it is ("checkpoint 12", "FILE line 3")."""

    seq: int
    hash: str
    at: datetime
    key_id: str
    signature: str
    name: Sentence = field(default=Sentence(""), compare=False)

    def message(self) -> bytes:
        """The bytes signed: every field but the signature, canonically listed."""
        return json.dumps(["sanchika checkpoint", VERSION, self.seq, self.hash,
                           _instant(self.at), self.key_id], separators=(",", ":")).encode()

    def line(self) -> str:
        """The checkpoint as one line of an export."""
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": _instant(self.at),
                           "key_id": self.key_id, "signature": self.signature},
                          sort_keys=True) + "\n"

    def named(self) -> Sentence:
        return Sentence("%(name)s (event %(seq)s, signed %(at)s)", name=self.name,
                        seq=self.seq, at=Moment(self.at))


def signed(row: Checkpoint) -> Signed:
    return Signed(row.seq, row.hash, row.at, row.key_id, row.signature,
                  Sentence("checkpoint %(id)s", id=row.id))


@contextmanager
def snapshot(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction that sees one state of the chain throughout: REPEATABLE READ on
    PostgreSQL (SQLite's transactions take the write lock, so nothing moves meanwhile)."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


def make_checkpoint(session: Session, signer: Signer, keys: list[PublicKey],
                    head: tuple[int, str] | None = None,
                    now: datetime | None = None) -> Checkpoint:
    """Sign the chain's head (or ``head``, an earlier (seq, hash) of the chain, e.g. a
    backup's) and store the checkpoint; refused if the chain does not link from the last
    checkpoint ``keys`` vouch for up to that head.  Run it in a ``snapshot`` transaction."""
    until = head[0] if head is not None else None
    base = last_vouched(session, keys, until)
    verdict = audit.verify(session, after=(base.seq, base.hash) if base else None, until=until)
    if not verdict.ok:
        raise NotAllowed("the audit chain is broken (%(problem)s): no checkpoint was signed; "
                         "run 'sanchika verify'", problem=str(verdict.problem))
    if head is not None and (verdict.last_seq, verdict.last_hash) != tuple(head):
        raise NotAllowed("event %(seq)s with hash %(hash)s is not in the audit chain: no "
                         "checkpoint was signed", seq=head[0], hash=head[1])
    at = (now or utcnow()).astimezone(timezone.utc)
    draft = Signed(verdict.last_seq, verdict.last_hash, at, signer.key_id, "")
    row = Checkpoint(seq=draft.seq, hash=draft.hash, at=at, key_id=signer.key_id,
                     signature=signer.sign(draft.message()))
    session.add(row)
    session.flush()
    return row


def last_vouched(session: Session, keys: list[PublicKey],
                 until: int | None = None) -> Checkpoint | None:
    """The newest stored checkpoint (at or below event ``until``) signed by one of ``keys``."""
    by_id = {k.key_id: k for k in keys}
    query = select(Checkpoint).order_by(Checkpoint.seq.desc(), Checkpoint.id.desc())
    if until is not None:
        query = query.where(Checkpoint.seq <= until)
    for row in session.scalars(query.limit(50)):
        key = by_id.get(row.key_id)
        if key is not None and _verifies(key, signed(row)):
            return row
    return None


def _verifies(key: PublicKey, cp: Signed) -> bool:
    try:
        signature = base64.b64decode(cp.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(signature) == 64 and key.verifies(signature, cp.message())


def checkpoint_pass(sessions: sessionmaker[Session], path: Path,
                    now: datetime | None = None) -> Checkpoint | None:
    """The scheduler's job: sign the chain's head with the key at ``path`` unless the newest
    checkpoint already holds it; the new Checkpoint, or None."""
    signer = load_signer(path)
    with snapshot(sessions) as session:
        seq, digest = audit.chain_head(session)
        newest = session.scalars(select(Checkpoint).order_by(Checkpoint.id.desc())
                                 .limit(1)).first()
        if newest is not None and (newest.seq, newest.hash, newest.key_id) == (
                seq, digest, signer.key_id):
            return None
        return make_checkpoint(session, signer, public_keys(path), now=now)


def checkpoint_head(sessions: sessionmaker[Session], path: Path, head: tuple[int, str],
                    now: datetime | None = None) -> Signed:
    """Sign ``head`` (seq, hash), e.g. a backup's, with the key at ``path``."""
    signer = load_signer(path)
    with snapshot(sessions) as session:
        return signed(make_checkpoint(session, signer, public_keys(path), head=head, now=now))


def stored(session: Session) -> list[Signed]:
    return [signed(row) for row in session.scalars(select(Checkpoint).order_by(Checkpoint.id))]


def export(session: Session, folder: Path, keys: list[PublicKey],
           current: str | None = None) -> tuple[Path, int, int]:
    """Append the stored checkpoints that ``folder``'s copy lacks to its checkpoints.jsonl,
    and write the public keys beside it; (path, how many appended, how many it holds)."""
    path = Path(folder) / EXPORT_NAME
    there = read_export(path) if path.exists() else []
    have = {cp.signature for cp in there}
    new = [cp for cp in stored(session) if cp.signature not in have]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.writelines(cp.line() for cp in new)
        (path.parent / KEYS_NAME).write_text(keyring_text(keys, current))
    except OSError as exc:
        raise InvalidInput("the checkpoints cannot be exported to %(folder)s: %(why)s",
                           folder=str(folder), why=exc.strerror or str(exc)) from None
    return path, len(new), len(there) + len(new)


def read_export(path: Path) -> list[Signed]:
    """The checkpoints in an exported copy, or a refusal naming the line that is not one."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "it is not UTF-8 text"
        raise InvalidInput("the checkpoints file %(path)s cannot be read: %(why)s",
                           path=str(path), why=why) from None
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            found.append(_parse(line, Sentence("%(path)s line %(line)s", path=str(path),
                                               line=number)))
        except _NotACheckpoint as exc:
            raise InvalidInput("%(path)s line %(line)s is not a checkpoint: %(why)s",
                               path=str(path), line=number, why=exc.why) from None
    return found


class _NotACheckpoint(Exception):
    def __init__(self, why: Sentence) -> None:
        super().__init__(why)
        self.why = why


def _parse(line: str, name: Sentence) -> Signed:
    try:
        data = json.loads(line)
    except ValueError:
        raise _NotACheckpoint(Sentence("it is not JSON")) from None
    if not isinstance(data, dict) or any(f not in data for f in _FIELDS):
        raise _NotACheckpoint(Sentence("it lacks one of seq, hash, at, key_id and signature"))
    seq, digest, at, key_id, signature = (data[f] for f in _FIELDS)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise _NotACheckpoint(Sentence("its seq is not a whole number"))
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise _NotACheckpoint(Sentence("its hash is not 64 hex digits"))
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise _NotACheckpoint(Sentence("its time is not an ISO time")) from None
    if moment.tzinfo is None:
        raise _NotACheckpoint(Sentence("its time is not an ISO time"))
    if not isinstance(key_id, str) or not isinstance(signature, str):
        raise _NotACheckpoint(Sentence("its key_id or signature is not text"))
    return Signed(seq, digest, moment, key_id, signature, name)


@dataclass(frozen=True)
class Failure:
    """What is wrong with a checkpoint, or with the chain against it."""

    kind: str  # rewritten | truncated | missing | forged | unknown key | no key
    message: Sentence

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class Report:
    checked: int
    problems: list[Failure] = field(default_factory=list)
    vouched: Signed | None = None  # the newest checkpoint that the chain still matches

    @property
    def ok(self) -> bool:
        return not self.problems


def check(session: Session, checkpoints: list[Signed], keys: list[PublicKey],
          keys_from: str) -> Report:
    """Hold ``checkpoints`` against their signatures (``keys``, read from ``keys_from``) and
    against the chain: a Report naming each checkpoint that fails, and how."""
    report = Report(len(checkpoints))
    if checkpoints and not keys:
        report.problems.append(Failure("no key", Sentence(
            "%(count)s checkpoint(s) cannot be checked: there is no public key at "
            "%(where)s", count=len(checkpoints), where=keys_from)))
        return report
    by_id, good, unknown = {k.key_id: k for k in keys}, [], defaultdict(list)
    for cp in checkpoints:
        key = by_id.get(cp.key_id)
        if key is None:
            unknown[cp.key_id].append(cp)
        elif _verifies(key, cp):
            good.append(cp)
        else:
            report.problems.append(Failure("forged", Sentence(
                "the signature of %(checkpoint)s does not verify with key %(key)s: the "
                "checkpoint was altered or not made by Sanchika", checkpoint=cp.named(),
                key=cp.key_id)))
    for key_id, cps in unknown.items():
        report.problems.append(Failure("unknown key", Sentence(
            "%(count)s checkpoint(s), events %(first)s to %(last)s, are signed by key "
            "%(key)s, which is not among the public keys at %(where)s", count=len(cps),
            first=min(c.seq for c in cps), last=max(c.seq for c in cps), key=key_id,
            where=keys_from)))
    _against_chain(session, sorted(good, key=lambda c: (c.seq, c.at)), report)
    return report


def _against_chain(session: Session, good: list[Signed], report: Report) -> None:
    end = session.scalar(select(func.max(AuditEvent.seq))) or 0
    hashes = _hashes_at(session, sorted({cp.seq for cp in good if 0 < cp.seq <= end}))
    hashes[0] = GENESIS
    beyond = [cp for cp in good if cp.seq > end]
    differ = [cp for cp in good if cp.seq <= end and hashes.get(cp.seq) != cp.hash]
    wrong_from = min((cp.seq for cp in differ + beyond), default=None)
    matching = [cp for cp in good if cp.seq <= end and hashes.get(cp.seq) == cp.hash
                and (wrong_from is None or cp.seq < wrong_from)]
    report.vouched = matching[-1] if matching else None
    since = report.vouched.named() if report.vouched else Sentence("the start of the chain")
    if differ and differ[0].seq not in hashes:
        report.problems.append(Failure("missing", Sentence(
            "the chain was rewritten: event %(seq)s, vouched for by %(checkpoint)s, is "
            "missing (%(more)s later checkpoint(s) differ too); the chain still matches "
            "%(since)s", seq=differ[0].seq, checkpoint=differ[0].named(),
            more=len(differ) - 1, since=since)))
    elif differ:
        report.problems.append(Failure("rewritten", Sentence(
            "the chain was rewritten: event %(seq)s differs from %(checkpoint)s (%(more)s "
            "later checkpoint(s) differ too); the chain still matches %(since)s",
            seq=differ[0].seq, checkpoint=differ[0].named(), more=len(differ) - 1,
            since=since)))
    if beyond:
        report.problems.append(Failure("truncated", Sentence(
            "the chain was cut short: it ends at event %(end)s, below %(checkpoint)s "
            "(%(count)s checkpoint(s) lie beyond its end)", end=end,
            checkpoint=beyond[-1].named(), count=len(beyond))))


def _hashes_at(session: Session, seqs: list[int]) -> dict[int | None, str | None]:
    hashes: dict[int | None, str | None] = {}
    for start in range(0, len(seqs), 500):
        hashes.update(session.execute(select(AuditEvent.seq, AuditEvent.hash)
                                      .where(AuditEvent.seq.in_(seqs[start:start + 500]))).all())
    return hashes
