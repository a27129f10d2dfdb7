"""Leave handover: an official hands their own posts to a colleague for dates, within what the
office allows; the colleague finds the posts' files in their inbox as additional charge and
acts on them on those dates (office-local), and not after; the administrator sets the rules."""

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from test_hindi_pages import speak
from test_inbox_posts import post_of
from workflows import org, reports
from workflows.errors import InvalidInput, NotAllowed
from workflows.files import filing, inbox
from workflows.models import OutboxMail, PostHolding
from workflows.models.audit import PENDING
from workflows.org import handover

from webtools import flashes, post, sign_in, text

# 01:30 on 2 March in India, still 1 March on the host's UTC clock
EVENING = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)
MARCH_2, MARCH_4 = date(2026, 3, 2), date(2026, 3, 4)
# 00:30 on 5 March in India: the handover is over, though UTC still says 4 March
AFTER = datetime(2026, 3, 4, 19, 0, tzinfo=timezone.utc)


def hand(session, official, colleague, posts, start=MARCH_2, end=MARCH_4):
    return handover.hand_over(session, user=official, post_ids=[p.id for p in posts],
                              to_user_id=colleague.id, from_date=start, to_date=end)


def test_the_colleague_holds_the_post_on_the_dates_only(session, sadar, people, time_machine):
    time_machine.move_to(EVENING, tick=False)
    rk1 = post_of(session, sadar, "RK-1")
    shabnam = people.shabnam
    shabnam.language = "hi"
    first = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                             subject="Mutation of Khata 9")
    second = filing.open_file(session, office=sadar, user=people.manoj,
                              route_key="land_mutation", subject="Mutation of Khata 10")
    [holding] = hand(session, people.manoj, shabnam, [rk1])
    assert (holding.kind, holding.handed_by_id, holding.user_id) == (
        "charge", people.manoj.id, shabnam.id)
    assert "org.handed_over" in [p.values["action"] for p in session.info[PENDING]]
    session.flush()
    mail = session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert mail.to_addrs == shabnam.email and mail.language == "hi"
    assert "राजस्व कर्मचारी, हल्का १ का प्रभार ०२-०३-२०२६ से ०४-०३-२०२६ तक" in mail.subject
    rows = {r.file.id: r for r in inbox.inbox(session, shabnam)}
    assert rows[first.id].charge and rows[first.id].post.code == "RK-1"
    filing.act(session, number=first.number, user=shabnam, choice="Submit report")
    [stay] = [s for s in reports.file_stays(session, first) if s.task.post_id == rk1.id]
    assert stay.user.id == shabnam.id  # the time at the post is hers, not the absent holder's

    time_machine.move_to(AFTER, tick=False)
    assert second.id not in {r.file.id for r in inbox.inbox(session, shabnam)}
    with pytest.raises(NotAllowed, match="not with Shabnam Parveen"):
        filing.act(session, number=second.number, user=shabnam, choice="Submit report")
    assert second.id in {r.file.id for r in inbox.inbox(session, people.manoj)}


def _refused(session, sadar, people, case):
    rk1, ci = post_of(session, sadar, "RK-1"), post_of(session, sadar, "CI")
    manoj = people.manoj
    if case == "too many days":
        sadar.handover_days = 2
        hand(session, manoj, people.shabnam, [rk1])
    elif case == "in the past":
        hand(session, manoj, people.shabnam, [rk1], start=date(2026, 3, 1))
    elif case == "reversed":
        hand(session, manoj, people.shabnam, [rk1], start=MARCH_4, end=MARCH_2)
    elif case == "outside the office":
        hand(session, manoj, people.amit, [rk1])
    elif case == "not senior":
        sadar.handover_to = "senior"
        hand(session, manoj, people.pooja, [rk1])
    elif case == "not theirs":
        hand(session, manoj, people.shabnam, [ci])
    elif case == "overlap":
        hand(session, manoj, people.shabnam, [rk1])
        hand(session, manoj, people.pooja, [rk1], start=MARCH_4, end=MARCH_4)
    elif case == "not allowed":
        sadar.handover_days = 0
        hand(session, manoj, people.shabnam, [rk1])


REFUSALS = {
    "too many days": (InvalidInput, "2 days at most in Circle Office, Sadar (Chhapra); this "
                                    "one is for 3 days"),
    "in the past": (InvalidInput, "starts today or later, not on 01-03-2026"),
    "reversed": (InvalidInput, "ends (02-03-2026) before it starts (04-03-2026)"),
    "outside the office": (NotAllowed, "goes to a colleague of Circle Office, Sadar"),
    "not senior": (NotAllowed, "same role as Revenue Karmachari, Halka 1 or one above it"),
    "not theirs": (NotAllowed, "only a post that is your own: Circle Inspector, Sadar is not"),
    "overlap": (InvalidInput, "is handed to Shabnam Parveen from 02-03-2026 to 04-03-2026"),
    "not allowed": (NotAllowed, "does not let its officials hand their posts over"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_says_what_is_wrong(session, sadar, people, time_machine, case):
    time_machine.move_to(EVENING, tick=False)
    kind, words = REFUSALS[case]
    with pytest.raises(kind) as refused:
        _refused(session, sadar, people, case)
    assert words in str(refused.value)


def test_senior_means_the_same_role_or_above(session, sadar, people, time_machine):
    time_machine.move_to(EVENING, tick=False)
    sadar.handover_to = "senior"
    rk1 = post_of(session, sadar, "RK-1")
    names = {c.login for c, _held in handover.colleagues(session, people.manoj, [rk1])}
    assert {"shabnam.parveen", "rajesh.prasad", "sunita.kumari"} <= names
    assert "pooja.kumari" not in names and "amit.ranjan" not in names
    hand(session, people.manoj, people.rajesh, [rk1])


def test_ending_early_and_cancelling(session, sadar, people, time_machine):
    time_machine.move_to(EVENING, tick=False)
    rk1 = post_of(session, sadar, "RK-1")
    [running] = hand(session, people.manoj, people.shabnam, [rk1], end=date(2026, 3, 6))
    [later] = hand(session, people.manoj, people.pooja, [rk1], start=date(2026, 3, 10),
                   end=date(2026, 3, 12))
    time_machine.move_to(datetime(2026, 3, 3, 6, 0, tzinfo=timezone.utc), tick=False)
    assert org.holds(session, people.shabnam, rk1.id)
    assert handover.end_handover(session, user=people.manoj,
                                 holding_id=running.id).state == "ended"
    assert running.to_date == MARCH_2 and not org.holds(session, people.shabnam, rk1.id)
    assert handover.end_handover(session, user=people.manoj,
                                 holding_id=later.id).state == "cancelled"
    assert not org.holds(session, people.pooja, rk1.id, date(2026, 3, 11))
    with pytest.raises(NotAllowed, match="over already"):
        handover.end_handover(session, user=people.manoj, holding_id=later.id)
    # the dates are free again
    hand(session, people.manoj, people.pooja, [rk1], start=date(2026, 3, 10),
         end=date(2026, 3, 12))


@pytest.mark.parametrize("language, done, refusal", [
    ("en", "Your charge passes to Shabnam Parveen from 2 Mar 2026 to 4 Mar 2026",
     "a handover goes to a colleague of Circle Office, Sadar (Chhapra)"),
    ("hi", "आपका प्रभार २ मार्च २०२६ से ४ मार्च २०२६ तक शबनम परवीन को जाता है",
     "हस्तांतरण केवल अंचल कार्यालय, सदर (छपरा) के सहकर्मी को होता है")])
def test_the_handover_page(client, session, sadar, people, time_machine, language, done,
                           refusal):
    time_machine.move_to(EVENING, tick=False)
    rk1 = post_of(session, sadar, "RK-1")
    speak(client, language, "manoj.yadav")
    page = client.get("/handover/")
    assert page.status_code == 200 and 'id="handover-form"' in page.get_data(as_text=True)
    form = {"post": str(rk1.id), "from_date": "2026-03-02", "to_date": "2026-03-04"}
    wrong = post(client, "/handover/", {**form, "colleague": str(people.amit.id)})
    assert wrong.status_code == 400 and flashes(wrong) == [refusal]
    assert post(client, "/handover/", {**form, "colleague": "x"}).status_code == 400
    made = post(client, "/handover/", {**form, "colleague": str(people.shabnam.id)},
                follow_redirects=True)
    assert done in text(made)
    [holding] = session.scalars(select(PostHolding).where(
        PostHolding.handed_by_id == people.manoj.id)).all()
    ended = post(client, f"/handover/{holding.id}/end", follow_redirects=True)
    session.refresh(holding)
    assert holding.to_date < holding.from_date and len(flashes(ended)) == 1
    assert post(client, "/handover/99999/end").status_code == 404
    other = client.application.test_client()
    sign_in(other, "shabnam.parveen")
    assert post(other, f"/handover/{holding.id}/end").status_code == 404  # not hers to end
    sadar.handover_days = 0
    session.flush()
    closed = client.get("/handover/").get_data(as_text=True)
    assert 'id="handover-form"' not in closed and 'class="notice"' in closed


def test_the_administrator_sets_the_rules(client, session, sadar):
    sign_in(client, "sunita.kumari")
    url = f"/admin/offices/{sadar.id}/settings"
    bad = post(client, url, {"what": "handover", "handover_days": "many",
                             "handover_to": "office"}, follow_redirects=True)
    assert "must be a whole number" in text(bad) and sadar.handover_days == 30
    too = post(client, url, {"what": "handover", "handover_days": "400",
                             "handover_to": "office"}, follow_redirects=True)
    assert "from 0 (not allowed) to 365" in text(too)
    post(client, url, {"what": "handover", "handover_days": "10", "handover_to": "senior"})
    session.refresh(sadar)
    assert (sadar.handover_days, sadar.handover_to) == (10, "senior")
    page = text(client.get(url))
    assert "Leave handover" in page
    sign_in(client, "manoj.yadav")
    assert post(client, url, {"what": "handover", "handover_days": "0",
                              "handover_to": "office"}).status_code in (403, 404)
    session.refresh(sadar)
    assert sadar.handover_days == 10
