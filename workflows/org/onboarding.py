"""Onboarding staff from a spreadsheet (CSV): check every row first, then create the users
and posts and mail each person their login and a link to choose their own password (no
password is mailed or kept readable: ``password_links``).

Columns: name, email, mobile, office, section, post, role.  ``office`` and ``section`` are
codes; ``post`` is a post's code or title in the office: an existing post is filled, a new one
is created with ``role``.  Columns a sheet may add: ``name_hi`` (the person's name in Hindi),
``title`` and ``title_hi`` (a new post's title, when ``post`` gives its code, and its title in
Hindi) and ``reports_to`` (the code or title of the post a new post reports to).
"""

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit, clock, org, sheets
from . import orgchart, password_links
from ..mail import outbox
from ..errors import InvalidInput, devanagari_digits
from ..models import Office, Post, PostHolding, Section, User

COLUMNS = ("name", "email", "mobile", "office", "section", "post", "role")
OPTIONAL = ("name_hi", "title", "title_hi", "reports_to")
MAX_ROWS = 2000
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_MOBILE = re.compile(r"^\+?[0-9 ]{10,15}$")
_PostKey = tuple[int | None, int | str]  # (office id, post id or the post's text)


@dataclass
class Row:
    line: int
    name: str
    email: str
    mobile: str
    office: Office | None = None
    section: Section | None = None
    post: Post | None = None
    post_text: str = ""
    role: str = ""
    name_hi: str = ""
    title: str = ""
    title_hi: str = ""
    reports_to: Post | None = None
    login: str = ""
    problems: list[str] = field(default_factory=list)


# the longest each column may be, as its table keeps it
_LENGTHS = {column: table.__table__.c[name].type.length  # type: ignore[attr-defined]
            for column, table, name in (
                ("name", User, "name"), ("email", User, "email"), ("mobile", User, "mobile"),
                ("office", Office, "code"), ("section", Section, "code"),
                ("post", Post, "title"), ("role", Post, "role"), ("name_hi", User, "name_hi"),
                ("title", Post, "title"), ("title_hi", Post, "title_hi"),
                ("reports_to", Post, "title"))}


def check_csv(session: Session, admin: User, data: str | bytes) -> list[Row]:
    """Read and check the CSV ``data`` (bytes as uploaded, or text); return its rows, each
    with its line number and the problems found (a row without problems can be imported).
    A sheet that cannot be read as one is refused naming the line and column."""
    records = sheets.read(data)
    if len(records) > MAX_ROWS + 1:
        raise InvalidInput("a sheet may have at most %(limit)s rows", limit=MAX_ROWS)
    administered = orgchart.administered_offices(session, admin)
    rows: list[Row] = []
    emails: set[str] = set()
    logins: set[str] = set()
    posts_taken: set[_PostKey] = set()
    for line, raw in sheets.with_header(records, COLUMNS, OPTIONAL):
        values = {c: " ".join(raw[c].split()) for c in COLUMNS + OPTIONAL}
        if not any(values.values()):
            continue
        row = Row(line, values["name"], values["email"].lower(), values["mobile"])
        if _too_long(row, values):
            rows.append(row)
            continue
        _check_row(session, row, values, administered)
        _check_unique(session, row, emails, logins, posts_taken)
        rows.append(row)
    return rows


def _too_long(row: Row, values: dict[str, str]) -> bool:
    for column, limit in _LENGTHS.items():
        if len(values[column]) > limit:
            row.problems.append(f"the {column} is longer than {limit} characters")
    return bool(row.problems)


def _check_row(session: Session, row: Row, values: dict[str, str],
               administered: Collection[int]) -> None:
    if not row.name:
        row.problems.append("the name is empty")
    if not _EMAIL.match(row.email):
        row.problems.append(f"'{values['email']}' is not an email address")
    if row.mobile and not _MOBILE.match(row.mobile):
        row.problems.append(f"'{row.mobile}' is not a mobile number")
    row.office = session.scalar(select(Office).where(Office.code == values["office"].upper()))
    if row.office is None:
        row.problems.append(f"no office with the code '{values['office']}'")
        return
    if row.office.id not in administered:
        row.problems.append(f"you do not administer {row.office.name}")
    if values["section"]:
        row.section = session.scalar(select(Section).where(
            Section.office_id == row.office.id, Section.code == values["section"].upper()))
        if row.section is None:
            row.problems.append(f"no section '{values['section']}' in {row.office.name}")
    row.post_text, row.role = values["post"], values["role"]
    if not row.post_text:
        row.problems.append("the post is empty")
        return
    row.post = session.scalar(select(Post).where(
        Post.office_id == row.office.id,
        (func.upper(Post.code) == row.post_text.upper()) | (Post.title == row.post_text)))
    if row.post is None and not row.role:
        row.problems.append(f"the post '{row.post_text}' is new: give its role")
    if row.post is not None and row.role and row.role != row.post.role:
        row.problems.append(f"the post '{row.post.title}' holds the role '{row.post.role}', "
                            f"not '{row.role}'")
    if row.post is not None and org.holders_of(session, row.post):
        row.problems.append(f"the post '{row.post.title}' is held already; transfer it instead")
    _check_post_columns(session, row, values)


def _check_post_columns(session: Session, row: Row, values: dict[str, str]) -> None:
    """The columns that describe a new post: its titles and the post it reports to.  An
    existing post keeps its own; a sheet that says otherwise is told where to change them."""
    assert row.office is not None  # noqa: S101  (checked by the caller)
    row.name_hi, row.title, row.title_hi = values["name_hi"], values["title"], values["title_hi"]
    if values["reports_to"]:
        text = values["reports_to"]
        row.reports_to = session.scalar(select(Post).where(
            Post.office_id == row.office.id,
            (func.upper(Post.code) == text.upper()) | (Post.title == text)))
        if row.reports_to is None:
            row.problems.append(f"no post '{text}' in {row.office.name} to report to")
    if row.post is None:
        return
    said = {"title": (row.title, row.post.title), "title_hi": (row.title_hi, row.post.title_hi),
            "reports_to": (row.reports_to.id if row.reports_to else None,
                           row.post.reports_to_id if row.reports_to else None)}
    for column, (given, kept) in said.items():
        if given and given != kept:
            row.problems.append(f"the post '{row.post.title}' exists: its {column} is changed "
                                "on the office's page, not by the sheet")


def _check_unique(session: Session, row: Row, emails: set[str], logins: set[str],
                  posts_taken: set[_PostKey]) -> None:
    if row.email:
        if row.email in emails:
            row.problems.append(f"the email {row.email} appears twice in the sheet")
        elif session.scalar(select(User.id).where(func.lower(User.email) == row.email)):
            row.problems.append(f"a user with the email {row.email} exists already")
        emails.add(row.email)
    row.login = _login_for(session, row.email, logins)
    key = (row.office.id if row.office else None, (row.post.id if row.post else row.post_text))
    if row.office is not None and row.post_text:
        if key in posts_taken:
            row.problems.append(f"the post '{row.post_text}' is given twice in the sheet")
        posts_taken.add(key)


def _login_for(session: Session, email: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", email.split("@")[0].lower())[:56] or "user"
    login, n = base, 1
    while login in taken or session.scalar(select(User.id).where(User.login == login)):
        n += 1
        login = f"{base}{n}"
    taken.add(login)
    return login


def import_staff(session: Session, admin: User, data: str | bytes, today: date | None = None,
                 site_url: str = "",
                 link_days: int = password_links.DEFAULT_DAYS) -> list[tuple[Row, User]]:
    """Create the users (and new posts) of a CSV whose every row is good; mail each person
    their login and a link to choose their password, good for ``link_days`` days from when
    the mail is sent.  Refused, naming the bad lines, when any row is bad.
    Returns [(row, user)]."""
    today = today or clock.today()
    rows = check_csv(session, admin, data)
    bad = [r for r in rows if r.problems]
    if bad:
        raise InvalidInput("the sheet has %(count)s bad rows (lines %(lines)s); nothing was "
                           "imported", count=len(bad), lines=", ".join(str(r.line) for r in bad))
    if not rows:
        raise InvalidInput("the sheet has no rows")
    created = []
    for row in rows:
        created.append((row, _create(session, admin, row, today, site_url, link_days)))
    assert rows[0].office is not None  # noqa: S101  (a good row names its office)
    audit.record(session, "org.staff_imported", admin, office_id=rows[0].office.id,
                 users=[u.login for _r, u in created])
    session.flush()
    return created


def _create(session: Session, admin: User, row: Row, today: date, site_url: str,
            link_days: int) -> User:
    assert row.office is not None  # noqa: S101  (a good row names its office)
    # a password no one knows: the official chooses theirs from the link
    user = User(login=row.login, name=row.name, name_hi=row.name_hi, email=row.email,
                mobile=row.mobile, language="hi" if row.name_hi else "en",
                password_hash=org.hash_password(secrets.token_urlsafe(32)),
                must_change_password=True)
    session.add(user)
    session.flush()
    post = row.post
    if post is None:
        code = re.sub(r"[^A-Z0-9]+", "-", row.post_text.upper()).strip("-")[:24] or "POST"
        code = _free_code(session, row.office, code)
        post = orgchart.add_post(session, admin, row.office, code=code,
                                 title=row.title or row.post_text, title_hi=row.title_hi,
                                 role=row.role, section=row.section, reports_to=row.reports_to)
    session.add(PostHolding(post_id=post.id, user_id=user.id, from_date=today, kind="regular"))
    audit.record(session, "org.user_added", admin, office_id=row.office.id, login=user.login,
                 post=post.code)
    mail = outbox.enqueue(
        session, to=[row.email], office_id=row.office.id, language=user.language,
        subject="संचिका में आपका लॉगिन / Your Sanchika login",
        body=_welcome(user, post, row.office, password_links.link_text(site_url), link_days))
    password_links.attach(session, user, mail)
    return user


def _welcome(user: User, post: Post, office: Office, link: str, days: int) -> str:
    """The onboarding mail, in Hindi and in English (the person's language first): their
    login and the one link that lets them choose a password."""
    hindi = (f"प्रिय {user.name_hi or user.name},\n\nअब आप संचिका में {post.title_hi or post.title}, "
             f"{office.name_hi or office.name} के रूप में साइन इन कर सकते हैं।\n\n"
             f"लॉगिन: {user.login}\n\nअपना पासवर्ड यहाँ चुनें:\n{link}\n\nयह लिंक एक बार, "
             f"मेल भेजे जाने से {devanagari_digits(str(days))} दिन तक काम करता है। अवधि बीत जाने पर अपने "
             "कार्यालय के प्रशासक से संपर्क करें।\n")
    english = (f"Dear {user.name},\n\nYou can now sign in to Sanchika as {post.title}, "
               f"{office.name}.\n\nLogin: {user.login}\n\nChoose your password here:\n"
               f"{link}\n\nThe link works once, for {days} day{'' if days == 1 else 's'} "
               "from when this mail was sent. If it has lapsed, ask the administrator of your "
               "office.\n")
    first, second = (hindi, english) if user.language == "hi" else (english, hindi)
    return f"{first}\n---\n\n{second}"


def _free_code(session: Session, office: Office, code: str) -> str:
    candidate, n = code, 1
    while session.scalar(select(Post.id).where(Post.office_id == office.id,
                                               Post.code == candidate)):
        n += 1
        candidate = f"{code}-{n}"
    return candidate
