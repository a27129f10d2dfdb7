"""Property tests on the services (hypothesis): any text, Devanagari, control characters or a
huge string, is either kept exactly (as the service normalises it) or refused with InvalidInput,
never a crash; acting with any choice never leaves a file half-moved."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from workflows.files import filing, notes, receipts
from workflows.errors import FileMoved, InvalidInput, NotAllowed
from workflows.models import Movement

SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
DEVANAGARI = st.characters(min_codepoint=0x0900, max_codepoint=0x097F)
ANY_TEXT = st.one_of(
    st.text(max_size=60),                                          # any code point, NUL too
    st.text(alphabet=DEVANAGARI, max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),   # control characters
    st.builds(lambda c, n: c * n, st.sampled_from("कa \n"), st.integers(400, 20_000)),
)


def _attempt(session, work):
    """Run ``work`` in a savepoint: its result, or the InvalidInput it was refused with."""
    try:
        with session.begin_nested():
            return work()
    except InvalidInput as exc:
        assert str(exc)
        return exc


@SETTINGS
@given(subject=ANY_TEXT, note=ANY_TEXT)
def test_any_subject_and_note_is_kept_exactly_or_refused(session, sadar, people, subject, note):
    result = _attempt(session, lambda: filing.open_file(
        session, office=sadar, user=people.manoj, route_key="land_mutation", subject=subject,
        first_note=note))
    if isinstance(result, InvalidInput):
        return
    session.expire_all()
    assert result.subject == " ".join(subject.split())
    kept = [n.body for n in notes.notes_of(session, result)]
    assert kept == ([note.strip()] if note.strip() else [])


@SETTINGS
@given(body=ANY_TEXT)
def test_any_note_text_is_kept_or_refused(session, sadar, people, body):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Khata 1")
    result = _attempt(session, lambda: notes.add_note(session, number=file.number,
                                                      user=people.manoj, body=body))
    if not isinstance(result, InvalidInput):
        session.expire_all()
        assert notes.notes_of(session, file)[-1].body == result.body and result.body.strip()


@SETTINGS
@given(subject=ANY_TEXT, sender=ANY_TEXT)
def test_any_receipt_text_is_kept_or_refused(session, sadar, people, subject, sender, tmp_path):
    result = _attempt(session, lambda: receipts.diarise_receipt(
        session, office=sadar, user=people.pooja, subject=subject, sender=sender,
        store=tmp_path))
    if not isinstance(result, InvalidInput):
        session.expire_all()
        assert (result.subject, result.sender_name) == (" ".join(subject.split()),
                                                        " ".join(sender.split()))


@SETTINGS
@given(choices=st.lists(st.one_of(st.text(max_size=30),
                                  st.sampled_from(["Submit report", "Forward", "Return",
                                                   "Approve", "Reject"])),
                        min_size=1, max_size=6),
       who=st.lists(st.sampled_from(["manoj", "rajesh", "sunita", "shabnam"]), min_size=6,
                    max_size=6))
def test_acting_with_any_choice_keeps_the_file_whole(session, sadar, people, choices, who):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Khata 2")
    for choice, login in zip(choices, who, strict=False):  # as many as the shorter
        moves = session.scalar(select(func.count()).select_from(Movement)
                               .where(Movement.file_id == file.id))
        try:
            with session.begin_nested():
                filing.act(session, number=file.number, user=getattr(people, login),
                           choice=choice)
            acted = True
        except (InvalidInput, NotAllowed, FileMoved):
            acted = False
        session.expire_all()
        after = session.scalar(select(func.count()).select_from(Movement)
                               .where(Movement.file_id == file.id))
        assert after == moves + acted
        tasks = filing.open_tasks(session, file)
        if file.status == "open":
            assert len(tasks) == 1  # this route is a line: one holder at a time
            last = filing.track(session, file)[-1]
            assert last.to_post_id == tasks[0].post_id
        else:
            assert file.status == "closed" and tasks == []
