"""What waits for an official: the header's counts on every page, the poll that tells of
arrivals (and does not keep a session alive), and links shown only to those who may follow."""

from datetime import timedelta

from sqlalchemy import select

from workflows.clock import utcnow
from workflows.files import filing, receipts, waiting
from workflows.models import SignInSession

from webtools import make_app, post, sign_in, text

HINDI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def _since(seconds=5):
    return (utcnow() - timedelta(seconds=seconds)).isoformat()


def test_the_header_counts_files_and_dak_in_both_languages(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Counted in the header")
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    receipts.diarise_receipt(session, office=sadar, user=people.rajesh, subject="A letter",
                             sender="Ram Prasad Rai", mode="By hand")
    session.flush()
    counts = waiting.waiting(session, people.rajesh)
    assert counts.files >= 1 and counts.dak >= 1
    sign_in(client, "rajesh.prasad")
    for path in ("/", "/receipts/", "/password"):
        assert (f"Inbox: {counts.files} file{'s' if counts.files != 1 else ''} · "
                f"Dak: {counts.dak} receipt{'s' if counts.dak != 1 else ''}") in text(client.get(path))
    post(client, "/language", {"language": "hi", "next": "/"})
    page = text(client.get("/"))
    assert f"आवक: {str(counts.files).translate(HINDI_DIGITS)} संचिका" in page
    assert f"डाक: {str(counts.dak).translate(HINDI_DIGITS)} आवती" in page
    assert 'aria-live="polite"' in client.get("/").get_data(as_text=True)


def test_the_poll_tells_of_arrivals_and_returns_to_their_official_only(
        app, session, sadar, people):
    rajesh, manoj, pooja = app.test_client(), app.test_client(), app.test_client()
    for client, login in ((rajesh, "rajesh.prasad"), (manoj, "manoj.yadav"),
                          (pooja, "pooja.kumari")):
        sign_in(client, login)
    since = _since()
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9, Khesra 14")
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    session.flush()
    answer = rajesh.get("/inbox/waiting.json", query_string={"since": since}).get_json()
    assert answer["files"] == waiting.waiting(session, people.rajesh).files
    assert [a["notice"] for a in answer["arrivals"]] == [
        f"File {file.number} arrived from Manoj Kumar Yadav, Revenue Karmachari, Halka 1"]
    assert answer["arrivals"][0]["url"] == f"/files/{file.id}"
    # nobody else is told of it, and the sender is not told of his own move
    assert pooja.get("/inbox/waiting.json", query_string={"since": since}).get_json()["arrivals"] == []
    assert manoj.get("/inbox/waiting.json", query_string={"since": since}).get_json()["arrivals"] == []

    since = _since(1)
    filing.act(session, number=file.number, user=people.rajesh, choice="Return",
               remark="Attach the sale deed.")
    session.flush()
    returned = manoj.get("/inbox/waiting.json", query_string={"since": since}).get_json()["arrivals"]
    assert returned[0]["returned"] and returned[0]["notice"].startswith(
        f"File {file.number} was returned by Rajesh Prasad")
    post(manoj, "/language", {"language": "hi", "next": "/"})
    answer = manoj.get("/inbox/waiting.json", query_string={"since": since}).get_json()
    assert answer["arrivals"][0]["notice"].startswith(f"संचिका {file.number} राजेश प्रसाद")
    assert "आवक:" in answer["label"]


def test_the_poll_refuses_strangers_and_bad_times(client):
    response = client.get("/inbox/waiting.json")
    assert response.status_code == 401 and "Sign in" in response.get_json()["error"]
    sign_in(client, "manoj.yadav")
    response = client.get("/inbox/waiting.json?since=yesterday")
    assert response.status_code == 400 and "since must be a time" in response.get_json()["error"]
    assert client.get("/inbox/waiting.json").get_json()["arrivals"] == []


def test_the_poll_does_not_keep_the_session_alive(session, tmp_path, time_machine):
    app = make_app(session, tmp_path)  # sessions end after 30 idle minutes
    polling, reading = app.test_client(), app.test_client()
    start = utcnow()
    time_machine.move_to(start)
    sign_in(polling, "manoj.yadav")
    sign_in(reading, "manoj.yadav")
    time_machine.move_to(start + timedelta(minutes=20))
    assert polling.get("/inbox/waiting.json").status_code == 200
    assert reading.get("/").status_code == 200
    seen = session.scalars(select(SignInSession.last_seen_at).where(
        SignInSession.user_id == people_id(session), SignInSession.ended_at.is_(None))).all()
    assert min(seen) <= start + timedelta(seconds=5)  # the poll's session was not touched
    time_machine.move_to(start + timedelta(minutes=40))
    assert polling.get("/inbox/waiting.json").status_code == 401
    assert polling.get("/").status_code == 302
    assert reading.get("/").status_code == 200  # a page read at 20 minutes kept it


def people_id(session):
    from workflows import org
    return org.user_by_login(session, "manoj.yadav").id


def test_links_an_official_may_not_follow_are_not_shown(client):
    sign_in(client, "manoj.yadav")
    body = client.get("/").get_data(as_text=True)
    assert 'href="/records/"' not in body and ">Record room<" not in body
    assert 'href="/attendance/month"' in body and ">Attendance<" not in body
    assert client.get("/attendance/month").status_code == 200
    post(client, "/sign-off")
    sign_in(client, "sunita.kumari")
    body = client.get("/").get_data(as_text=True)
    assert 'href="/records/"' in body and 'href="/attendance"' in body
