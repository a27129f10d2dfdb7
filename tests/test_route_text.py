"""What an administrator's BPMN names (steps, choices) is shown as text on every page,
never as markup: a step named with HTML does not make an element."""

from pathlib import Path

from webtools import sign_in

from workflows.files import filing
from workflows.routes import routing

ROOT = Path(__file__).resolve().parent.parent
REFRESH = '<meta http-equiv="refresh" content="0;url=http://evil.example/">'
BOLD = "<b>Put up</b> note"


def _hostile_route(session, sadar):
    xml = (ROOT / "bpmn" / "general_noting.bpmn").read_text()
    xml = xml.replace('name="Put up note"', f'name="{BOLD.replace("<", "&lt;")}"')
    xml = xml.replace('name="Submit"', 'name="{}"'.format(REFRESH.replace("<", "&lt;")
                                                              .replace('"', "&quot;")))
    return routing.deploy_route(session, sadar, xml)


def test_step_choice_and_lane_names_are_text_on_the_pages(client, session, sadar, people):
    _hostile_route(session, sadar)
    file = filing.open_file(session, office=sadar, user=people.pooja,
                            route_key="general_noting", subject="A hostile route")
    session.flush()
    sign_in(client, "pooja.kumari")
    for path in (f"/files/{file.id}", "/"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "<b>Put up</b>" not in page and "&lt;b&gt;Put up&lt;/b&gt;" in page, path
        if path != "/":  # the choice's button is on the file page
            assert "<meta http-equiv" not in page and "&lt;meta http-equiv" in page
