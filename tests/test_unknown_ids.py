"""An unknown id in an address is a 404 page in the user's language, never a 500."""

import pytest

from webtools import post, sign_in, text

UNKNOWN = ["/admin/offices/999", "/admin/offices/999/settings", "/admin/offices/999/onboarding",
           "/admin/routes/2/move?source=99", "/admin/routes/2/versions/99.bpmn"]


@pytest.mark.parametrize("url", UNKNOWN)
def test_an_unknown_id_is_a_404_page(client, session, people, url):
    sign_in(client, "vikas.kumar")
    answer = client.get(url)
    assert answer.status_code == 404, url
    assert "There is no such page" in text(answer)


def test_the_404_page_speaks_hindi(client, session, people):
    sign_in(client, "vikas.kumar")
    post(client, "/language", {"language": "hi", "next": "/"})
    answer = client.get("/admin/offices/999")
    assert answer.status_code == 404 and "Traceback" not in answer.get_data(as_text=True)
    assert "There is no such page" not in text(answer)  # said in Hindi
