"""Administration pages: who sees them, the editor's check and publish, upload, versions and
the move dry run, the org chart forms, onboarding and settings; on SQLite and PostgreSQL."""

from io import BytesIO
from pathlib import Path

from sqlalchemy import select

from workflows.files import filing
from workflows import org
from workflows.models import Holiday, Post, PostHolding, Route, User
from workflows.org import powers

from webtools import csrf, flashes, post, sign_in, text

SHIPPED = Path(__file__).resolve().parent.parent / "bpmn"
GENERAL = (SHIPPED / "general_noting.bpmn").read_bytes()


def _json(client, path, body):
    return client.post(path, data=body, headers={"X-CSRF-Token": csrf(client, "/"),
                                                 "Content-Type": "application/xml"})


def test_only_administrators_see_and_use_administration(client, sadar):
    sign_in(client, "manoj.yadav")
    assert "Administration" not in text(client.get("/"))
    assert client.get("/admin/").status_code == 403
    assert client.get(f"/admin/offices/{sadar.id}").status_code == 403
    assert _json(client, f"/admin/offices/{sadar.id}/routes/publish", GENERAL).status_code == 403


def test_editor_check_marks_elements_and_publish_makes_a_version(client, session, sadar):
    sign_in(client, "sunita.kumari")
    assert "Administration" in text(client.get("/"))
    route = session.scalar(select(Route).where(Route.office_id == sadar.id,
                                               Route.key == "general_noting"))
    page = client.get(f"/admin/offices/{sadar.id}/routes/editor?route={route.id}")
    assert page.status_code == 200 and "route-editor.js" in page.get_data(as_text=True)
    assert "'unsafe-inline'" in page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in client.get("/").headers["Content-Security-Policy"]
    bad = GENERAL.replace(b'name="Section Officer"', b'name="Under Secretary"')
    problems = _json(client, f"/admin/offices/{sadar.id}/routes/check", bad).get_json()["problems"]
    assert [p["element_id"] for p in problems] == ["Lane_SectionOfficer"]
    assert _json(client, f"/admin/offices/{sadar.id}/routes/publish", bad).status_code == 422
    changed = GENERAL.replace(b'value="3"', b'value="4"', 1)
    answer = _json(client, f"/admin/offices/{sadar.id}/routes/publish", changed).get_json()
    assert answer["problems"] == [] and answer["version"] == 2
    versions = text(client.get(answer["url"]))
    assert "Sunita Kumari" in versions and "time limit 3 → 4" in versions
    assert client.get(f"/admin/routes/{route.id}/versions/2.bpmn").data == changed


def test_a_new_route_starts_from_a_drawing_that_publishes_as_version_1(client, session, sadar):
    sign_in(client, "sunita.kumari")
    routes = f"/admin/offices/{sadar.id}/routes"
    assert 'id="new-route"' in client.get(routes).get_data(as_text=True)
    editor = client.get(f"{routes}/editor?key=leave_sanction&name=Leave+sanction")
    page = editor.get_data(as_text=True)
    assert editor.status_code == 200 and "Leave sanction" in page
    drawing = client.get(f"{routes}/new.bpmn?key=leave_sanction&name=Leave+sanction")
    assert drawing.status_code == 200 and b'<bpmn:process id="leave_sanction"' in drawing.data
    assert b"bpmndi:BPMNDiagram" in drawing.data  # bpmn.io and Camunda Modeler can open it
    published = _json(client, f"/admin/offices/{sadar.id}/routes/publish", drawing.data).get_json()
    assert published["problems"] == [] and published["version"] == 1
    file = filing.open_file(session, office=sadar, user=org.user_by_login(session, "manoj.yadav"),
                            route_key="leave_sanction", subject="Earned leave of 10 days")
    assert filing.open_tasks(session, file)[0].step_name == "Put up note"
    # the key is taken now; a bad key and an empty name are refused on the routes page
    for query, refused in (("key=leave_sanction&name=Again", "has a route 'leave_sanction'"),
                           ("key=9lives&name=Nine", "must start with a letter"),
                           ("key=ok_key&name=+", "needs a name")):
        response = client.get(f"{routes}/editor?{query}")
        assert response.status_code == 400 and refused in text(response), query


def test_upload_lists_unsupported_elements(client, sadar):
    sign_in(client, "sunita.kumari")
    bad = GENERAL.replace(b"bpmn:userTask id=\"Task_IssueAndRecord\"",
                          b"bpmn:serviceTask id=\"Task_IssueAndRecord\"", 1)
    bad = bad.replace(b"</bpmn:userTask>\n    <bpmn:endEvent id=\"End_Closed\"",
                      b"</bpmn:serviceTask>\n    <bpmn:endEvent id=\"End_Closed\"")
    page = client.post(f"/admin/offices/{sadar.id}/routes/upload", data={
        "csrf_token": csrf(client, "/"), "bpmn": (BytesIO(bad), "route.bpmn")},
        content_type="multipart/form-data")
    assert page.status_code == 422
    assert "Task_IssueAndRecord" in text(page) and "serviceTask" in text(page)


def test_move_page_dry_run_then_move(client, session, people, sadar):
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject="Move me")
    sign_in(client, "sunita.kumari")
    _json(client, f"/admin/offices/{sadar.id}/routes/publish", GENERAL.replace(b'value="3"', b'value="5"', 1))
    route_id = file.route_version.route_id
    dry = text(client.get(f"/admin/routes/{route_id}/move?source=1"))
    assert file.number in dry and "Dry run" in dry
    post(client, f"/admin/routes/{route_id}/move", {"source": "1"})
    session.refresh(file)
    assert file.route_version.version == 2


def test_versions_and_the_move_dry_run_speak_hindi_to_a_hindi_administrator(client, session,
                                                                           people, sadar):
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject="Move me")
    filing.act(session, number=file.number, user=people.pooja, choice="Submit")
    session.commit()
    client.post("/language", data={"language": "hi", "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    sign_in(client, "sunita.kumari")
    # in version 2 the step "Examine and comment" has a new id: the file waiting there cannot
    # move, the step is said to be added and removed
    without = GENERAL.replace(b'value="3"', b'value="4"', 1).replace(
        b"Task_ExamineAndComment", b"Task_Examine")
    answer = _json(client, f"/admin/offices/{sadar.id}/routes/publish", without).get_json()
    assert answer["problems"] == [] and answer["version"] == 2
    versions = text(client.get(answer["url"]))
    assert "पहला संस्करण" in versions and "चरण 'Put up note': समय-सीमा ३ → ४" in versions
    assert "चरण 'Examine and comment' हटाया गया" in versions
    dry = text(client.get(f"/admin/routes/{file.route_version.route_id}/move?source=1"))
    assert ("चरण 'Examine and comment' (Task_ExamineAndComment) नए संस्करण में नहीं है"
            in dry)


def test_route_problems_speak_hindi_to_a_hindi_administrator(client, sadar):
    client.post("/language", data={"language": "hi", "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    sign_in(client, "sunita.kumari")
    check = f"/admin/offices/{sadar.id}/routes/check"
    # a condition that would run code: the refusal and the reason inside it, both in Hindi
    calls = GENERAL.replace(b'choice == "Return"', b'__import__("os").system("id")', 1)
    [problem] = _json(client, check, calls).get_json()["problems"]
    assert problem["message"] == ("""शर्त '__import__("os").system("id")' अस्वीकार: 'Call' की """
                                  "अनुमति नहीं है; तुलना, and/or/not, in, नाम और स्थिर मान ही लिखें")
    # a lane no post holds names the office in Hindi
    lane = GENERAL.replace(b'name="Section Officer"', b'name="Under Secretary"')
    [problem] = _json(client, check, lane).get_json()["problems"]
    assert problem["message"].startswith(f"{sadar.name_hi} का कोई पद 'Under Secretary' की "
                                         "भूमिका नहीं रखता")
    # an upload with a service task lists it in Hindi on the routes page
    service = GENERAL.replace(b"bpmn:userTask id=\"Task_IssueAndRecord\"",
                              b"bpmn:serviceTask id=\"Task_IssueAndRecord\"", 1).replace(
        b"</bpmn:userTask>\n    <bpmn:endEvent id=\"End_Closed\"",
        b"</bpmn:serviceTask>\n    <bpmn:endEvent id=\"End_Closed\"")
    page = client.post(f"/admin/offices/{sadar.id}/routes/upload", data={
        "csrf_token": csrf(client, "/"), "bpmn": (BytesIO(service), "route.bpmn")},
        content_type="multipart/form-data")
    assert page.status_code == 422
    assert "serviceTask: सेवा कार्य मनमाना कोड बुला सकते हैं" in text(page)


def test_transfer_and_charge_forms(client, session, people, sadar):
    sign_in(client, "sunita.kumari")
    hc = next(p for p in session.scalars(select(PostHolding)) if p.user_id == people.arvind.id).post
    page = post(client, f"/admin/offices/{sadar.id}/assign", {
        "post": hc.id, "user": people.rajesh.id, "kind": "charge", "from_date": "2026-01-01",
        "to_date": ""}, follow_redirects=True)
    assert flashes(page) == ["an additional charge is for a period: give its last day"]
    page = post(client, f"/admin/offices/{sadar.id}/transfer", {
        "post": hc.id, "user": people.shabnam.id, "from_date": "2026-01-01"},
        follow_redirects=True)
    assert "Shabnam Parveen succeeds to Head Clerk" in flashes(page)[0]


def test_onboarding_dry_run_shows_lines_and_import_creates(client, session):
    sign_in(client, "sunita.kumari")
    sheet = ("name,email,mobile,office,section,post,role\n"
             "Neha Verma,neha@saran.example,,SADAR,REV,Revenue Karmachari Halka 3,Revenue Karmachari\n"
             "Bad Row,bad,,SADAR,REV,RK-7,Revenue Karmachari\n")
    office_id = session.scalar(select(Route.office_id).where(Route.key == "land_mutation"))
    page = post(client, f"/admin/offices/{office_id}/onboarding", {"csv": sheet, "do": "check"})
    assert "3 Bad Row" in text(page) and "'bad' is not an email address" in text(page)
    assert "Create the logins" not in text(page)
    good = "\n".join(sheet.splitlines()[:2])
    page = post(client, f"/admin/offices/{office_id}/onboarding", {"csv": good, "do": "import"})
    assert "1 person onboarded and mailed a link" in flashes(page)[0]
    assert session.scalar(select(User).where(User.login == "neha")).must_change_password


def test_settings_save_limits_and_holidays(client, session, sadar):
    sign_in(client, "sunita.kumari")
    post(client, f"/admin/offices/{sadar.id}/settings", {
        "what": "limits", "weekly_offs": "5,6", "default": "6", "grace_days": "2",
        "limit_Immediate": "1"})
    session.refresh(sadar)
    assert (sadar.weekly_offs, sadar.limit_days) == ("5,6", 6)
    post(client, f"/admin/offices/{sadar.id}/settings", {"what": "holiday", "day": "2026-10-02",
                                                         "name": "Gandhi Jayanti"})
    assert session.scalar(select(Holiday.name).where(Holiday.office_id == sadar.id,
                                                     Holiday.name == "Gandhi Jayanti"))


def test_sections_offices_and_the_end_of_a_holding_from_the_org_chart(client, session, people,
                                                                      sadar):
    from workflows import org
    from workflows.models import Office, Section
    sign_in(client, "sunita.kumari")
    response = post(client, f"/admin/offices/{sadar.id}/section",
                    {"code": "rti", "name": "RTI cell", "name_hi": "सूचना का अधिकार प्रकोष्ठ"},
                    follow_redirects=True)
    assert "Section RTI cell created." in flashes(response)
    assert session.scalar(select(Section).where(Section.office_id == sadar.id,
                                                Section.code == "RTI")) is not None
    response = post(client, f"/admin/offices/{sadar.id}/section", {"code": "RTI", "name": "x"},
                    follow_redirects=True)
    assert any("exists already" in m for m in flashes(response))
    holding = session.scalar(select(PostHolding).where(PostHolding.user_id == people.manoj.id))
    response = post(client, f"/admin/offices/{sadar.id}/end",
                    {"holding": holding.id, "last_day": "2026-01-01"}, follow_redirects=True)
    assert any("no longer holds" in m for m in flashes(response))
    session.expire_all()
    assert org.posts_of(session, people.manoj) == []  # Manoj's inbox is empty from then on
    saran = session.scalar(select(Office).where(Office.code == "SARAN"))
    response = post(client, f"/admin/offices/{saran.id}/office",
                    {"code": "MARHAURA", "name": "Circle Office, Marhaura"})
    assert response.status_code == 403  # the head of a circle office does not run the district
    from datetime import date
    from workflows.models import Post
    dm = Post(office_id=saran.id, code="DM", title="District Magistrate, Saran",
              role="District Magistrate", is_head=True, is_admin=True)
    session.add(dm)
    session.flush()
    session.add(PostHolding(post_id=dm.id, user_id=people.anil.id, from_date=date(2026, 1, 1)))
    session.flush()
    post(client, "/sign-off")
    sign_in(client, "anil.sinha")
    response = post(client, f"/admin/offices/{saran.id}/office",
                    {"code": "marhaura", "name": "Circle Office, Marhaura"}, follow_redirects=True)
    assert "Office Circle Office, Marhaura created below Saran District." in flashes(response)
    marhaura = session.scalar(select(Office).where(Office.code == "MARHAURA"))
    assert marhaura.parent_id == saran.id


def test_the_administrator_keeps_the_delegation_of_powers(client, session, sadar, ddmo):
    sign_in(client, "sunita.kumari")  # Sadar's head is its administrator too
    path = f"/admin/offices/{sadar.id}/powers"
    page = text(client.get(path))
    assert "Delegation of powers" in page and "Where nothing is named, the defaults apply" in page
    assert "Default: Section Officer" in page and "Post: Circle Inspector, Sadar" in page
    ci = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "CI"))
    adm = session.scalar(select(Post).where(Post.office_id == ddmo.id, Post.code == "ADM"))
    for by, words in ((f"post:{adm.id}", "is a post of District Disaster Management Office"),
                      ("post:999999", "no post with the id 999999"),
                      ("role:Tahsildar", "holds the role 'Tahsildar'"),
                      ("anything", "'anything' is neither a post nor a role")):
        refused = post(client, path, {"kind": "Letter", "by": by}, follow_redirects=True)
        assert any(words in m for m in flashes(refused)), (by, flashes(refused))
    done = post(client, path, {"kind": "Letter", "by": f"post:{ci.id}"}, follow_redirects=True)
    assert "The competent authority for Letter is saved." in flashes(done)
    row = text(done).split("Letter", 2)[2]
    assert row.startswith(" Post: Circle Inspector, Sadar set by Sunita Kumari")
    assert [p.code for p in powers.competent(session, sadar, None, "Letter").posts] == ["CI"]
    sign_in(client, "manoj.yadav")
    assert client.get(path).status_code == 403
    assert post(client, path, {"kind": "Letter", "by": ""}).status_code == 403
