"""The demo offices of Saran district: a disaster management office and the Sadar circle office,
their staff, posts, routes, and a few files in flight.  Loading twice changes nothing."""

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, org
from .org import powers
from .files import drafts, filing, receipts
from .deadlines import limits
from .routes import routing
from .clock import utcnow
from .models import File, Office, Post, PostHolding, Receipt, Route, Section, User

DEMO_PASSWORD = "sanchika-demo"  # noqa: S105 (the demo's published password)
# The routes the product ships: bpmn/ at the top of the checkout, package data in the wheel
# (workflows/routes/shipped links to it), found from this module in both.
SHIPPED_ROUTES = Path(__file__).parent / "routes" / "shipped"

OFFICES = [
    # code, name, Hindi name, kind, parent code
    ("SARAN", "Saran District", "सारण जिला", "district", None),
    ("DDMO", "District Disaster Management Office, Saran", "जिला आपदा प्रबंधन कार्यालय, सारण",
     "office", "SARAN"),
    ("SADAR", "Circle Office, Sadar (Chhapra)", "अंचल कार्यालय, सदर (छपरा)", "office", "SARAN"),
    ("REVELGANJ", "Circle Office, Revelganj", "अंचल कार्यालय, रिविलगंज", "office", "SARAN"),
    ("EKMA", "Circle Office, Ekma", "अंचल कार्यालय, एकमा", "office", "SARAN"),
]

SECTIONS = [
    ("DDMO", "RELIEF", "Relief", "राहत प्रशाखा"),
    ("DDMO", "GEN", "General", "सामान्य प्रशाखा"),
    ("DDMO", "ACCTS", "Accounts", "लेखा प्रशाखा"),
    ("SADAR", "REV", "Revenue", "राजस्व प्रशाखा"),
    ("SADAR", "GEN", "General", "सामान्य प्रशाखा"),
]

# office, section, post code, title, Hindi title, role, reports to, head, admin
POSTS = [
    ("DDMO", None, "ADM", "Additional District Magistrate (Disaster Management)",
     "अपर समाहर्ता (आपदा प्रबंधन)", "Additional District Magistrate", None, True, False),
    ("DDMO", "RELIEF", "SO-REL", "Section Officer, Relief", "प्रशाखा पदाधिकारी, राहत",
     "Section Officer", "ADM", False, False),
    ("DDMO", "RELIEF", "DA-REL", "Dealing Assistant, Relief", "सहायक, राहत",
     "Dealing Assistant", "SO-REL", False, False),
    ("DDMO", "RELIEF", "CO-VER", "Circle Officer, Sadar (relief verification)",
     "अंचल अधिकारी, सदर (राहत सत्यापन)", "Circle Officer", "ADM", False, False),
    ("DDMO", "GEN", "SYSADM", "System Administrator", "प्रणाली प्रशासक", "Administrator",
     "ADM", False, True),
    ("DDMO", "GEN", "HC-GEN", "Head Clerk, General", "प्रधान लिपिक, सामान्य", "Head Clerk",
     "ADM", False, False),
    ("DDMO", "ACCTS", "AO", "Accounts Officer", "लेखा पदाधिकारी", "Accounts Officer", "ADM",
     False, False),
    ("DDMO", "GEN", "LO", "Law Officer", "विधि पदाधिकारी", "Law Officer", "ADM", False, False),
    ("SADAR", None, "CO", "Circle Officer, Sadar", "अंचल अधिकारी, सदर", "Circle Officer", None,
     True, True),
    ("SADAR", "REV", "CI", "Circle Inspector, Sadar", "अंचल निरीक्षक, सदर", "Circle Inspector",
     "CO", False, False),
    ("SADAR", "REV", "RK-1", "Revenue Karmachari, Halka 1", "राजस्व कर्मचारी, हल्का १",
     "Revenue Karmachari", "CI", False, False),
    ("SADAR", "REV", "RK-2", "Revenue Karmachari, Halka 2", "राजस्व कर्मचारी, हल्का २",
     "Revenue Karmachari", "CI", False, False),
    ("SADAR", "GEN", "HC", "Head Clerk", "प्रधान लिपिक", "Section Officer", "CO", False, False),
    ("SADAR", "GEN", "DA-GEN", "Dealing Assistant, General", "सहायक, सामान्य",
     "Dealing Assistant", "HC", False, False),
    ("REVELGANJ", None, "CO", "Circle Officer, Revelganj", "अंचल अधिकारी, रिविलगंज",
     "Circle Officer", None, True, True),
    ("EKMA", None, "CO", "Circle Officer, Ekma", "अंचल अधिकारी, एकमा",
     "Circle Officer", None, True, True),
]

# login, name, Hindi name, email, [(office, post code, kind)]
STAFF = [
    ("anil.sinha", "Anil Kumar Sinha", "अनिल कुमार सिन्हा", "anil.sinha@saran.example",
     [("DDMO", "ADM", "regular")]),
    ("priya.sharma", "Priya Sharma", "प्रिया शर्मा", "priya.sharma@saran.example",
     [("DDMO", "SO-REL", "regular")]),
    ("ramesh.singh", "Ramesh Kumar Singh", "रमेश कुमार सिंह", "ramesh.singh@saran.example",
     [("DDMO", "DA-REL", "regular")]),
    ("vikas.kumar", "Vikas Kumar", "विकास कुमार", "vikas.kumar@saran.example",
     [("DDMO", "SYSADM", "regular")]),
    ("kavita.devi", "Kavita Devi", "कविता देवी", "kavita.devi@saran.example",
     [("DDMO", "AO", "regular")]),
    ("suresh.ram", "Suresh Ram", "सुरेश राम", "suresh.ram@saran.example",
     [("DDMO", "HC-GEN", "regular")]),
    ("meena.gupta", "Meena Gupta", "मीना गुप्ता", "meena.gupta@saran.example",
     [("DDMO", "LO", "regular")]),
    ("sunita.kumari", "Sunita Kumari", "सुनीता कुमारी", "sunita.kumari@saran.example",
     [("SADAR", "CO", "regular"), ("DDMO", "CO-VER", "regular")]),
    ("rajesh.prasad", "Rajesh Prasad", "राजेश प्रसाद", "rajesh.prasad@saran.example",
     [("SADAR", "CI", "regular")]),
    ("manoj.yadav", "Manoj Kumar Yadav", "मनोज कुमार यादव", "manoj.yadav@saran.example",
     [("SADAR", "RK-1", "regular")]),
    ("shabnam.parveen", "Shabnam Parveen", "शबनम परवीन", "shabnam.parveen@saran.example",
     [("SADAR", "RK-2", "regular")]),
    ("arvind.mishra", "Arvind Kumar Mishra", "अरविंद कुमार मिश्र", "arvind.mishra@saran.example",
     [("SADAR", "HC", "regular")]),
    ("pooja.kumari", "Pooja Kumari", "पूजा कुमारी", "pooja.kumari@saran.example",
     [("SADAR", "DA-GEN", "regular")]),
    ("amit.ranjan", "Amit Ranjan", "अमित रंजन", "amit.ranjan@saran.example",
     [("REVELGANJ", "CO", "regular")]),
    ("neha.bharti", "Neha Bharti", "नेहा भारती", "neha.bharti@saran.example",
     [("EKMA", "CO", "regular")]),
]

# The delegation of powers: office, kind of draft, ("post", code) or ("role", name).  Sadar's
# letters keep the default (the section officer of the file's section, else the head).
POWERS = [
    ("DDMO", "Order", ("role", org.HEAD_OF_OFFICE)),
    ("DDMO", "Office memorandum", ("role", org.HEAD_OF_OFFICE)),
    ("DDMO", "Notice", ("role", org.HEAD_OF_OFFICE)),
    ("DDMO", "Letter", ("role", "Section Officer")),
    ("SADAR", "Order", ("role", org.HEAD_OF_OFFICE)),
    ("SADAR", "Office memorandum", ("role", org.HEAD_OF_OFFICE)),
    ("SADAR", "Notice", ("post", "CI")),  # notices in mutation cases: the Circle Inspector
]

# a route is published after the routes it calls (supply_contract calls legal_vetting)
ROUTES = {"DDMO": ["relief_grant", "general_noting", "sections_consultation",
                   "flood_damage_report", "legal_vetting", "supply_contract"],
          "SADAR": ["land_mutation", "general_noting"]}

# office, route, opener, subject, priority, days ago, then (login, choice, remark) movements
FILES = [
    ("SADAR", "land_mutation", "manoj.yadav",
     "Mutation of Khata 112, Khesra 457, Mauza Daulatganj (sale deed 3311/2026)", "Normal", 9,
     [("manoj.yadav", "Submit report", "Enquiry done; possession verified on the spot."),
      ("rajesh.prasad", "Forward", "Report in order; recommended.")]),
    ("SADAR", "land_mutation", "shabnam.parveen",
     "Mutation of Khata 87, Khesra 1203, Mauza Bhagwan Bazar (inheritance)", "Priority", 5,
     [("shabnam.parveen", "Submit report", "Heirs' affidavit attached."),
      ("rajesh.prasad", "Return", "Legal heir certificate missing; obtain it.")]),
    ("SADAR", "general_noting", "pooja.kumari",
     "Repair of the record room roof before the monsoon", "Top Priority", 3, []),
    ("DDMO", "relief_grant", "ramesh.singh",
     "Ex-gratia for house damaged by flood: Smt. Rinku Devi, village Panapur", "Immediate", 2,
     [("ramesh.singh", "Send for verification",
       "Application and photographs received; bank account to be checked on PFMS.")]),
    ("DDMO", "general_noting", "ramesh.singh",
     "Procurement of 500 tarpaulin sheets for flood relief stock", "Priority", 6,
     [("ramesh.singh", "Submit", "Rates from three suppliers compared; L1 is M/s Sharma Traders."),
      ("priya.sharma", "Forward", "May kindly approve.")]),
    ("DDMO", "sections_consultation", "ramesh.singh",
     "Revision of ex-gratia rates for huts damaged by flood: comments of the sections",
     "Priority", 4,
     [("ramesh.singh", "Send for comments", "Draft revision of the rates put up for comments."),
      ("suresh.ram", "Send comments", "No objection from the General section.")]),
    ("DDMO", "flood_damage_report", "ramesh.singh",
     "Damage to houses and crops in the floods of the Gandak: report of every circle",
     "Immediate", 3,
     [("ramesh.singh", "Put up for approval", "Call for reports drafted in the state's format."),
      ("anil.sinha", "Circulate to every circle", "Every Circle Officer to report in 3 days."),
      ("sunita.kumari", "Report sent", "Sadar: 212 houses and 340 hectares of crops damaged.")]),
    ("DDMO", "supply_contract", "ramesh.singh",
     "Rate contract for supply of dry ration packets during floods: M/s Sharma Traders",
     "Priority", 5,
     [("ramesh.singh", "Submit", "Draft agreement on the model form put up."),
      ("kavita.devi", "Forward", "Rates within the approved schedule; funds available."),
      ("priya.sharma", "Forward", "Agreement examined; may be sent for legal vetting.")]),
]


def load_demo(session: Session, today: date | None = None) -> list[str]:
    """Create whatever part of the demo is missing; return a list of what was created."""
    today = today or clock.today()
    created: list[str] = []
    offices = _offices(session, created)
    sections = _sections(session, offices, created)
    posts = _posts(session, offices, sections, created)
    _staff(session, offices, posts, today, created)
    _powers(session, offices, posts, created)
    for code, keys in ROUTES.items():
        for key in keys:
            if session.scalar(select(Route.id).where(Route.office_id == offices[code].id,
                                                     Route.key == key)) is None:
                xml = (SHIPPED_ROUTES / f"{key}.bpmn").read_bytes()
                version = routing.deploy_route(session, offices[code], xml)
                created.append(f"route {code}/{key} v{version.version}")
    _limits(session, offices, created)
    _files(session, offices, created)
    _correspondence(session, offices["DDMO"], created)
    return created


RELIEF_FILE = FILES[3][3]
# subject, sender, address, letter number, mode, hours ago, diarised by, sent to (post code)
RECEIPTS = [
    ("Ex-gratia to Smt. Rinku Devi, village Panapur, returned by PFMS: bank account not "
     "validated", "PFMS Cell, Finance Department, Bihar", "Patna", "45/2026", "Email", 30,
     "suresh.ram", "DA-REL"),
    ("ग्राम पनापुर में बाढ़ से क्षतिग्रस्त घरों की सूची", "मुखिया, ग्राम पंचायत पनापुर",
     "पनापुर, सदर, सारण", "", "By hand", 20, "suresh.ram", "CO-VER"),
    ("Request for 200 tarpaulin sheets for the relief camps", "Block Development Officer, "
     "Revelganj", "Revelganj, Saran", "BDO/112", "By post", 0, "suresh.ram", None),
]
VERIFICATION = ("Verification report: house of Smt. Rinku Devi, Panapur",
                "ग्राम पनापुर में श्रीमती रिंकू देवी का घर बाढ़ से क्षतिग्रस्त पाया गया। "
                "स्थल जाँच के फोटो संलग्न हैं।")


def _correspondence(session: Session, office: Office, created: list[str]) -> None:
    """Dak of the relief section: letters diarised and sent on, the list of damaged houses
    put into the relief file, and a verification report drafted on it."""
    now = utcnow()
    file = session.scalar(select(File).where(File.subject == RELIEF_FILE))
    for subject, sender, address, letter, mode, hours, clerk, to in RECEIPTS:
        if session.scalar(select(Receipt.id).where(Receipt.subject == subject)) is not None:
            continue
        at = now - timedelta(hours=hours)
        receipt = receipts.diarise_receipt(
            session, office=office, user=org.user_by_login(session, clerk), subject=subject,
            sender=sender, sender_address=address, letter_number=letter, mode=mode, now=at)
        created.append(f"receipt {receipt.number}")
        post = session.scalar(select(Post).where(Post.office_id == office.id, Post.code == to))
        if post is None:
            continue
        receipts.send_receipt(session, receipt_id=receipt.id,
                              user=org.user_by_login(session, clerk), to_post_id=post.id)
        if to == "CO-VER" and file is not None:
            receipts.put_in_file(session, receipt_id=receipt.id, number=file.number,
                                 user=org.user_by_login(session, "sunita.kumari"),
                                 now=at + timedelta(hours=2))
    if file is not None and not drafts.drafts_of(session, file):
        drafts.create_draft(session, number=file.number,
                            user=org.user_by_login(session, "sunita.kumari"), kind="Letter",
                            title=VERIFICATION[0], body=VERIFICATION[1])
        created.append(f"draft on {file.number}")


# Urgency marks of office procedure, in working days (an office's default stays 7).
PRIORITY_LIMITS = {"Immediate": 1, "Top Priority": 2, "Priority": 4}


def _limits(session: Session, offices: dict[str, Office], created: list[str]) -> None:
    for code in ROUTES:
        if not limits.priority_limits(session, offices[code]):
            limits.set_limits(session, offices[code], priorities=PRIORITY_LIMITS)
            created.append(f"limits {code}")


def _late_reason(session: Session, file: File, at: datetime) -> str:
    """The demo's officials give a reason when they act on a file past its limit."""
    late = any(t.due_at is not None and t.due_at < at for t in filing.open_tasks(session, file))
    return "Awaited a report from the field." if late else ""


def _offices(session: Session, created: list[str]) -> dict[str, Office]:
    offices = {o.code: o for o in session.scalars(select(Office))}
    for code, name, name_hi, kind, parent in OFFICES:
        if code not in offices:
            offices[code] = Office(code=code, name=name, name_hi=name_hi, kind=kind,
                                   parent_id=offices[parent].id if parent else None)
            session.add(offices[code])
            session.flush()
            created.append(f"office {code}")
    return offices


def _sections(session: Session, offices: dict[str, Office],
              created: list[str]) -> dict[tuple[str, str], Section]:
    sections = {(s.office.code, s.code): s for s in session.scalars(select(Section))}
    for office, code, name, name_hi in SECTIONS:
        if (office, code) not in sections:
            sections[(office, code)] = Section(office_id=offices[office].id, code=code,
                                               name=name, name_hi=name_hi)
            session.add(sections[(office, code)])
            created.append(f"section {office}/{code}")
    session.flush()
    return sections


def _posts(session: Session, offices: dict[str, Office], sections: dict[tuple[str, str], Section],
           created: list[str]) -> dict[tuple[str, str], Post]:
    posts = {(p.office.code, p.code): p for p in session.scalars(select(Post))}
    for office, section, code, title, title_hi, role, reports_to, head, admin in POSTS:
        if (office, code) in posts:
            continue
        post = Post(office_id=offices[office].id, code=code, title=title, title_hi=title_hi,
                    role=role, is_head=head, is_admin=admin,
                    section_id=sections[(office, section)].id if section else None,
                    reports_to_id=posts[(office, reports_to)].id if reports_to else None)
        session.add(post)
        session.flush()
        posts[(office, code)] = post
        created.append(f"post {office}/{code}")
    return posts


def _powers(session: Session, offices: dict[str, Office], posts: dict[tuple[str, str], Post],
            created: list[str]) -> None:
    for code in sorted({office for office, _kind, _by in POWERS}):
        if any(not d.is_default for d in powers.delegations(session, offices[code])):
            continue
        for office, kind, (by, name) in POWERS:
            if office == code:
                powers.set_power(session, None, offices[code], kind,
                                 post_id=posts[(code, name)].id if by == "post" else None,
                                 role=name if by == "role" else None)
        created.append(f"powers {code}")


def _staff(session: Session, offices: dict[str, Office], posts: dict[tuple[str, str], Post],
           today: date, created: list[str]) -> None:
    password_hash = None
    for login, name, name_hi, email, holdings in STAFF:
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            password_hash = password_hash or org.hash_password(DEMO_PASSWORD)
            user = User(login=login, name=name, name_hi=name_hi, email=email,
                        password_hash=password_hash)
            session.add(user)
            session.flush()
            created.append(f"user {login}")
            for office, code, kind in holdings:
                session.add(PostHolding(post_id=posts[(office, code)].id, user_id=user.id,
                                        from_date=today - timedelta(days=365), kind=kind))
    session.flush()


def _files(session: Session, offices: dict[str, Office], created: list[str]) -> None:
    now = utcnow()
    for office, route, opener, subject, priority, days_ago, moves in FILES:
        if session.scalar(select(File.id).where(File.subject == subject)) is not None:
            continue
        when = now - timedelta(days=days_ago)
        file = filing.open_file(session, office=offices[office],
                                user=org.user_by_login(session, opener), route_key=route,
                                subject=subject, priority=priority, now=when,
                                first_note=f"Subject: {subject}. Put up for orders.")
        for i, (login, choice, remark) in enumerate(moves, start=1):
            at = when + timedelta(days=i, hours=2)
            filing.act(session, number=file.number, user=org.user_by_login(session, login),
                       choice=choice, remark=remark, now=at, reason=_late_reason(session, file, at))
        created.append(f"file {file.number}")
