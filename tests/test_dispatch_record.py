"""A dispatch is part of the record: 'sanchika verify' names an entry of the register changed
behind the application's back, by file number and kind, on both databases."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import org
from workflows.db import make_engine
from workflows.files import dispatching
from workflows.models import Draft

from test_record_verify import BOTH, _a_day, _behind_the_back, _verify


@BOTH
def test_an_entry_of_the_register_changed_by_sql_is_named(demo_db, tmp_path):
    number = _a_day(demo_db, tmp_path)
    eng = make_engine(demo_db)
    with Session(eng) as session, session.begin():
        draft = session.scalar(select(Draft).where(Draft.status == "issued"))
        entry = dispatching.dispatch_draft(session, draft_id=draft.id,
                                           user=org.user_by_login(session, "pooja.kumari"),
                                           mode="By post", addressee="The DM, Saran")
        dispatching.acknowledge(session, dispatch_id=entry.id, on=entry.dispatched_on,
                                user=org.user_by_login(session, "pooja.kumari"), by="Clerk")
    eng.dispose()
    assert _verify(demo_db, tmp_path).exit_code == 0
    _behind_the_back(demo_db, "UPDATE dispatches SET mode = 'By hand'")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1, result.output
    assert f"record differs: file {number}: dispatch " in result.stderr, result.stderr
