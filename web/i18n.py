"""Hindi and English: the language each official keeps, Indian time, and numbers in the
user's script."""

import re
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import g, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user

import engine
from workflows.clock import IST
from workflows.errors import Moment, Named, devanagari_digits

LANGUAGES = ("en", "hi")
TRANSLATIONS = Path(__file__).parent / "translations"

babel = Babel()


def init_app(app):
    compile_catalogs()
    babel.init_app(app, locale_selector=select_language, timezone_selector=lambda: "Asia/Kolkata",
                   default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.filters.update(when=when, day=day, num=num, size=size)
    app.jinja_env.globals.update(current_language=lambda: str(get_locale() or "en"), loc=loc,
                                 say=say, tr=tr, remark_of=remark_of)


def tr(value):
    """A value's translation when the catalog has one (a step, choice or lane name from a
    route, a status), as text: the template's ``_`` marks its result as markup, which is right
    for the application's own sentences and wrong for what an administrator's BPMN says.
    Each value is looked up once a request: a list says the same steps and priorities on
    every row."""
    if not value:
        return ""
    if not has_request_context():
        return str(gettext(str(value)))
    said = g.get("sanchika_said")
    if said is None:
        said = g.sanchika_said = {}
    key = str(value)
    if key not in said:
        said[key] = str(gettext(key))
    return said[key]


def drawn_in_language(xml):
    """A route's XML for the diagram, its names said in the user's language where the catalog
    has them (the route itself, as the administrator drew it, stays as it is)."""
    return engine.relabel(xml, tr) if _locale() == "hi" else xml


# The remarks Sanchika itself writes on a track, in English, as the record keeps them
_SYSTEM_REMARKS = {
    "transfer": [re.compile(r"(?P<post>.+): (?P<departing>.+) transferred; (?P<successor>.+) "
                            r"holds the post from (?P<day>[\d-]+)"),
                 re.compile(r"(?P<post>.+): (?P<successor>.+) holds the post from (?P<day>[\d-]+)")],
    "route": [re.compile(r"Route (?P<key>\S+) version (?P<old>\d+) → (?P<new>\d+)")],
    "timer": [re.compile(r"Time limit (?P<limit>.+) of '(?P<step>.*)' expired")],
}


def remark_of(movement):
    """A movement's remark as the reader reads it: an official's own words as written; a remark
    Sanchika wrote (a transfer, a move to a newer route version, a time limit run out) said in
    the user's language, its names from the org chart."""
    text = movement.remark or ""
    if _locale() != "hi":
        return text
    for pattern in _SYSTEM_REMARKS.get(movement.kind, ()):
        found = pattern.fullmatch(text)
        if found:
            return _system_remark(movement, found.groupdict())
    return text


def _system_remark(movement, parts):
    if movement.kind == "route":
        return gettext("Route %(key)s version %(old)s → %(new)s", key=parts["key"],
                       old=_script(parts["old"]), new=_script(parts["new"]))
    if movement.kind == "timer":
        return gettext("Time limit %(limit)s of '%(step)s' expired", limit=parts["limit"],
                       step=tr(parts["step"]))
    post = loc(movement.from_post, "title") if movement.from_post else parts["post"]
    day, successor = _script(parts["day"]), parts["successor"]
    if "departing" in parts:
        departing = loc(movement.from_user) if movement.from_user else parts["departing"]
        return gettext("%(post)s: %(departing)s transferred; %(successor)s holds the post "
                       "from %(day)s", post=post, departing=departing, successor=successor,
                       day=day)
    return gettext("%(post)s: %(successor)s holds the post from %(day)s", post=post,
                   successor=successor, day=day)


def select_language():
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or "en"


def compile_catalogs():
    """Build the .mo catalogs from the .po sources when they are missing or older (in a
    checkout; an installed wheel carries the compiled catalogs and no .po, see setup.py)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


def say(exc):
    """A refusal (or a ``Sentence``) from ``workflows`` in the user's language: its template
    looked up in the catalog and its values put in (names of offices, posts and people in
    Hindi for a Hindi user, where the org chart has them); the English sentence when it
    carries no template."""
    template = getattr(exc, "template", None)
    if not isinstance(template, str):
        return str(exc)
    params = {key: _value(value) for key, value in getattr(exc, "params", {}).items()}
    return gettext(template, **params)


def _value(value):
    """A value in a refusal, told in the user's language: a name in Hindi where the org chart
    has it, a moment in Indian time with the user's words and digits, a sentence inside the
    sentence (why a condition was refused) said in the user's language too."""
    if isinstance(getattr(value, "template", None), str):
        return say(value)
    if isinstance(value, Moment):
        return when(value.moment)
    if isinstance(value, Named) and value.hindi and _locale() == "hi":
        return value.hindi
    if isinstance(value, int) and not isinstance(value, bool):
        return _script(str(value))  # a count, a level, a line: in the reader's digits
    return value


def _locale():
    """The request's language ("en", "hi"), found once a request: a page asks for it in
    every cell it formats."""
    if not has_request_context():
        return str(get_locale() or "en")
    said = g.get("sanchika_locale")
    if said is None:
        said = g.sanchika_locale = str(get_locale() or "en")
    return said


def _script(text):
    return devanagari_digits(text) if _locale() == "hi" else text


def loc(thing, attribute="name"):
    """A name or title in the user's language: ``name_hi``/``title_hi`` for Hindi when set."""
    if thing is None:
        return ""
    if _locale() == "hi" and getattr(thing, attribute + "_hi", ""):
        return getattr(thing, attribute + "_hi")
    return getattr(thing, attribute)


MOMENT, DAY = "d MMM y, HH:mm", "d MMM y"


@lru_cache(maxsize=None)
def _month_names(locale):
    """The abbreviated month names of ``locale`` (babel's data), by month number."""
    return Locale.parse(locale).months["format"]["abbreviated"]


def when(moment, fmt=MOMENT):
    """A moment in Indian time, in the user's language and digits.  The pages' own pattern is
    put together from babel's month names directly (a page may show thousands of moments;
    babel's general formatter costs some 50 µs each); tests hold it to babel's output."""
    if moment is None:
        return "—"
    local, locale = moment.astimezone(IST), _locale()
    if fmt == MOMENT:
        text = f"{local.day} {_month_names(locale)[local.month]} {local.year}, {local:%H:%M}"
    else:
        text = format_datetime(local, fmt, locale=locale, tzinfo=IST)
    return devanagari_digits(text) if locale == "hi" else text


def day(value, fmt=DAY):
    if value is None:
        return "—"
    locale = _locale()
    if fmt == DAY:
        text = f"{value.day} {_month_names(locale)[value.month]} {value.year}"
    else:
        text = format_date(value, fmt, locale=locale)
    return devanagari_digits(text) if locale == "hi" else text


def num(value):
    """A number grouped the Indian way (12,34,567), in Devanagari digits for Hindi."""
    if isinstance(value, int) and -1000 < value < 1000:
        return _script(str(value))  # nothing to group: babel's formatter is not needed
    return _script(format_decimal(value, locale="en_IN"))


def size(value):
    """A document's size on its line, in KB or (from 1 MB) MB, so that an official on a slow
    line knows what opening it costs."""
    if value >= 1024 * 1024:
        return gettext("%(n)s MB", n=num(round(value / (1024 * 1024), 1)))
    return gettext("%(n)s KB", n=num(max(1, round(value / 1024))))


def _words():
    """Words that reach the pages from data (priorities, statuses, the choices and roles of the
    shipped routes), listed so that they are extracted for translation."""
    from flask_babel import lazy_gettext as _l
    return [
        _l("Normal"), _l("Priority"), _l("Top Priority"), _l("Immediate"),
        _l("open"), _l("parked"), _l("closed"), _l("Closed"),
        _l("Submit"), _l("Forward"), _l("Return"), _l("Approve"), _l("Reject"), _l("Close"),
        _l("Submit report"), _l("Allow mutation"), _l("Register corrected"),
        _l("Send for verification"), _l("Verified"), _l("Not eligible"), _l("Sanction"),
        _l("Order issued"), _l("Applicant informed"),
        _l("Dealing Assistant"), _l("Section Officer"), _l("Head of Office"),
        _l("Circle Officer"), _l("Circle Inspector"), _l("Revenue Karmachari"),
        _l("Additional District Magistrate"),
        _l("Letter"), _l("Order"), _l("Office memorandum"), _l("Notice"),
        _l("draft"), _l("approved"), _l("issued"),
        _l("By post"), _l("By hand"), _l("Email"), _l("Portal"), _l("Fax"),
        _l("Put up note"), _l("Examine and comment"), _l("Consider and decide"),
        _l("Issue and record"), _l("Enquire and submit report"), _l("Check enquiry report"),
        _l("Pass mutation order"), _l("Correct the register"),
        _l("Receive and register application"), _l("Verify in field and report"),
        _l("Inform applicant"), _l("Consider sanction"), _l("Issue sanction order"),
        _l("Put up for consultation"), _l("Comments of the Relief section"),
        _l("Comments of the Accounts section"), _l("Comments of the General section"),
        _l("Supply papers to Accounts"), _l("Consider the comments and decide"),
        _l("Send for comments"), _l("Send comments"), _l("Ask for papers"),
        _l("Papers supplied"), _l("Consult again"), _l("Approved"), _l("Rejected"),
        _l("Accounts Officer"), _l("Head Clerk"), _l("Consultation of sections"),
        _l("Flood damage report from the circles"), _l("Draft the call for reports"),
        _l("Approve the circulation"), _l("Report flood damage of the circle"),
        _l("Report flood damage (marked circles)"), _l("Compile the reports"),
        _l("Put up for approval"), _l("Circulate to every circle"),
        _l("Circulate to marked circles"), _l("Report sent"), _l("Reports compiled"),
        _l("Legal vetting"), _l("Supply contract approval"), _l("Law Officer"),
        _l("Vet the draft"), _l("Give clarification"), _l("Put up draft agreement"),
        _l("Check rates and funds"), _l("Examine the agreement"), _l("Approve the agreement"),
        _l("Vetted"), _l("Object"), _l("Ask for clarification"), _l("Clarification given"),
        _l("Objections raised"), _l("Agreement approved"),
        # FileMoved's own sentence (workflows/errors.py), given when it is raised without one.
        _l("the file has moved: someone acted on it first; look at it again before acting"),
    ]


def _route_words():
    """The shipped routes' own names, and the names of their events and gateways, which the
    diagrams draw and the file page gives as a file's outcome."""
    from flask_babel import lazy_gettext as _l
    return [
        _l("Disaster relief grant"), _l("General noting"), _l("Land mutation (dakhil-kharij)"),
        _l("Closed not eligible"), _l("Grant sanctioned"), _l("Mutation allowed"),
        _l("Mutation rejected"), _l("Scrutinised"), _l("Additional District Magistrate's decision?"),
        _l("Circle Inspector's decision?"), _l("Circle Officer's finding?"),
        _l("Circle Officer's order?"), _l("Decision?"), _l("Head of Office's decision?"),
        _l("Objections?"), _l("Papers enough?"), _l("Scrutinised?"),
        _l("Section Officer's decision?"), _l("Vetted?"), _l("All comments in"),
        _l("Consult the sections"), _l("Application received"), _l("File opened"),
        _l("Flood damage to be reported"), _l("Mutation petition received"),
        _l("Proposal received"), _l("Referred for vetting"), _l("Scrutiny of the proposal"),
    ]
