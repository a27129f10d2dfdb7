"""Refusals from the services reach the page in the official's language: the same refusal in
Hindi for a Hindi user and in English for an English one."""

import re
from datetime import datetime, timezone

import pytest

from test_file_pages import mutation  # noqa: F401  (fixture: a land mutation file with manoj)
from workflows.files import filing
from workflows.clock import IST

from webtools import csrf, flashes, post, sign_in, text

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
MONDAY = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # 10:30 IST


@pytest.fixture(autouse=True)
def on_a_monday_in_november(time_machine):
    """Refusals name dates: every test here runs on the same (ticking) clock, whatever day it is."""
    time_machine.move_to(MONDAY)


def speak(client, language, login=None):
    """Choose the language on the sign-in page, then sign in (when a login is given)."""
    client.post("/language", data={"language": language, "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    if login:
        sign_in(client, login)


def step_on_page(client, file):
    """The id of the step that the file's page offers the signed-in official to act on."""
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    return re.search(r'name="task_id" value="(\d+)"', page).group(1)


@pytest.mark.parametrize("language, moved", [
    ("en", "the file has moved: someone acted on it first; look at it again before acting"),
    ("hi", "संचिका आगे बढ़ चुकी है: किसी ने पहले उस पर कार्रवाई कर दी; कार्रवाई से पहले उसे फिर से देखें"),
])
def test_a_stale_form_is_told_the_file_has_moved_in_the_users_language(client, mutation,
                                                                      language, moved):
    speak(client, language, "manoj.yadav")
    task_id = step_on_page(client, mutation)
    post(client, f"/files/{mutation.id}/act", {"task_id": task_id, "choice": "Submit report"})
    # the same form again, from the old page: the step it names is done
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": task_id, "choice": "Submit report"}, follow_redirects=True)
    assert moved in flashes(response)


@pytest.mark.parametrize("language, empty", [
    ("en", "the subject is empty: say what the file is about"),
    ("hi", "विषय खाली है: बताएँ कि संचिका किस विषय में है"),
])
def test_opening_a_file_without_a_subject_is_refused_in_the_users_language(client, language,
                                                                          empty):
    speak(client, language, "manoj.yadav")
    response = post(client, "/files/new", {"office": "SADAR", "route": "land_mutation",
                                           "subject": "  ", "priority": "Normal"})
    assert response.status_code == 400 and empty in flashes(response)


@pytest.mark.parametrize("language, wrong", [
    ("en", "The login or password is wrong."),
    ("hi", "लॉगिन या पासवर्ड गलत है।"),
])
def test_a_wrong_password_is_told_in_the_language_of_the_sign_in_page(client, language, wrong):
    speak(client, language)
    response = sign_in(client, "manoj.yadav", "wrong-password")
    assert response.status_code == 401 and wrong in flashes(response)


@pytest.mark.parametrize("language, refused", [
    ("en", "file {number} has not passed through your post"),
    ("hi", "संचिका {number} आपके पद से होकर नहीं गुज़री है"),
])
def test_a_file_not_yours_is_refused_on_the_error_page_in_the_users_language(client, mutation,
                                                                            language, refused):
    speak(client, language, "shabnam.parveen")  # same office, not on the file's track
    response = client.get(f"/files/{mutation.id}")
    assert response.status_code == 403
    assert refused.format(number=mutation.number) in text(response)


@pytest.mark.parametrize("language, refused", [
    ("en", "Revenue Karmachari, Halka 1"),
    ("hi", "राजस्व कर्मचारी, हल्का १"),
])
def test_a_refusal_names_the_post_in_the_users_language(client, session, mutation, people,
                                                        language, refused):
    filing.act(session, number=mutation.number, user=people.manoj, choice="Submit report")
    filing.act(session, number=mutation.number, user=people.rajesh, choice="Return")
    back_with_manoj = filing.open_tasks(session, mutation)[0]
    speak(client, language, "rajesh.prasad")  # on the track, but the step is Manoj's now
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": str(back_with_manoj.id), "choice": "Submit report"},
                    follow_redirects=True)
    [message] = [m for m in flashes(response) if mutation.number in m]
    assert refused in message
    assert ("Revenue Karmachari" in message) == (language == "en")


@pytest.mark.parametrize("language, refused", [
    ("en", "is with Circle Officer, Sadar since {since}, not with Manoj Kumar Yadav"),
    ("hi", "{since} से अंचल अधिकारी, सदर के पास है, मनोज कुमार यादव के पास नहीं"),
])
def test_where_a_file_lies_and_since_when_is_told_in_the_users_language(
        client, session, mutation, people, language, refused):
    filing.act(session, number=mutation.number, user=people.manoj, choice="Submit report")
    filing.act(session, number=mutation.number, user=people.rajesh, choice="Forward")
    [with_officer] = filing.open_tasks(session, mutation)
    assert with_officer.since.astimezone(IST).strftime("%d %m %Y %H:%M") == "02 11 2026 10:30"
    since = "2 Nov 2026, 10:30" if language == "en" else "2 नव॰ 2026, 10:30".translate(DEVANAGARI)
    speak(client, language, "manoj.yadav")  # on the track, holding no step of it now
    response = post(client, f"/files/{mutation.id}/act", {"choice": "Submit report"},
                    follow_redirects=True)
    [message] = [m for m in flashes(response) if mutation.number in m]
    assert refused.format(since=since) in message


@pytest.mark.parametrize("language, refused", [
    ("en", "'Allow mutation' is not a choice at 'Enquire and submit report'; the route offers: "),
    ("hi", "'Allow mutation' 'Enquire and submit report' पर विकल्प नहीं है; मार्ग ये विकल्प देता है: "),
])
def test_the_engines_refusal_of_a_choice_is_told_in_the_users_language(client, mutation,
                                                                      language, refused):
    speak(client, language, "manoj.yadav")
    task_id = step_on_page(client, mutation)
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": task_id, "choice": "Allow mutation"}, follow_redirects=True)
    assert any(refused in m for m in flashes(response))
