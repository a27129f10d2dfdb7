"""The words of escalation mail, in Hindi and English: the reader's language first."""

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from . import outbox
from ..clock import IST
from ..models import Escalation, File, OutboxMail, Post, Task, User

DEFAULT_BASE_URL = "http://127.0.0.1:5000"

_SUBJECT = {
    "en": {1: "Reminder: file {number} is past its limit",
           2: "Escalation: file {number} pending with {post}",
           3: "Escalation to the head of office: file {number} pending with {post}"},
    "hi": {1: "स्मरण: संचिका {number} समय-सीमा पार",
           2: "सूचना: संचिका {number} {post} के पास लंबित",
           3: "कार्यालय प्रधान को सूचना: संचिका {number} {post} के पास लंबित"},
}
_WHAT = {
    "en": {1: "This file has been with you past the office's limit. Please act on it, and "
              "record the reason for the delay.",
           2: "This file has been pending past the office's limit with an official who "
              "reports to you. This notice is sent to you, with the holder in copy.",
           3: "This file has been pending past the office's limit, and was already brought "
              "to the notice of the holder's superior. This notice is sent to the head of "
              "office, with the holder in copy."},
    "hi": {1: "यह संचिका कार्यालय की निर्धारित समय-सीमा से अधिक समय से आपके पास है। कृपया "
              "इस पर कार्रवाई करें और विलंब का कारण दर्ज करें।",
           2: "यह संचिका समय-सीमा के बाद भी आपके अधीनस्थ पदाधिकारी के पास लंबित है। यह सूचना "
              "आपको भेजी जा रही है; धारक को प्रतिलिपि।",
           3: "यह संचिका समय-सीमा के बाद भी लंबित है और धारक के वरीय पदाधिकारी को पहले ही "
              "सूचित किया जा चुका है। यह सूचना कार्यालय प्रधान को भेजी जा रही है; धारक को "
              "प्रतिलिपि।"},
}
_LABELS = {
    "en": ("File", "Subject", "With", "Since", "Limit", "working days, due", "Level",
           "Open the file"),
    "hi": ("संचिका संख्या", "विषय", "किसके पास", "कब से", "समय-सीमा", "कार्य दिवस, नियत तिथि",
           "स्तर", "संचिका देखें"),
}


def base_url(served: str = "") -> str:
    """The address links in mail and on signed orders start with: SANCHIKA_BASE_URL when set
    (behind a proxy, the public address), else the address the app is served on (``served``,
    or the one ``sanchika serve`` recorded), else the default port on this machine."""
    base = os.environ.get("SANCHIKA_BASE_URL") or served or DEFAULT_BASE_URL
    return base.rstrip("/") + "/"


def file_link(file: File) -> str:
    return f"{base_url()}files/{file.id}"


def enqueue_escalation(session: Session, escalation: Escalation, file: File, task: Task,
                       holder_post: Post, holder_users: Sequence[User], to_post: Post,
                       to_users: Sequence[User], now: datetime,
                       flush: bool = True) -> OutboxMail | None:
    """Queue the mail of one escalation: level 1 to the holder; later levels to the post told,
    the holder in copy.  None when no one told has an email address.  ``flush=False`` leaves
    the mail to the caller's next flush (a batch of escalations flushes once)."""
    to = _addresses(to_users)
    cc = [a for a in _addresses(holder_users) if a not in to] if escalation.level > 1 else []
    if not to:
        to, cc = cc, []
    if not to:
        return None
    reader = next((u for u in to_users if u.email), None) or next(
        (u for u in holder_users if u.email), None)
    first = "hi" if reader is not None and reader.language == "hi" else "en"
    order = (first, "en" if first == "hi" else "hi")
    subject = " / ".join(_SUBJECT[lang][min(escalation.level, 3)].format(
        number=file.number, post=_title(holder_post, lang)) for lang in order)
    body = "\n\n".join(_body(lang, escalation, file, task, holder_post, holder_users)
                       for lang in order)
    return outbox.enqueue(session, to=to, cc=cc, subject="[Sanchika] " + subject, body=body,
                          language=first, office_id=file.office_id,
                          escalation_id=escalation.id, now=now, flush=flush)


def _body(lang: str, escalation: Escalation, file: File, task: Task, holder_post: Post,
          holder_users: Sequence[User]) -> str:
    label = _LABELS[lang]
    names = ", ".join((u.name_hi or u.name) if lang == "hi" else u.name
                      for u in holder_users) or ("रिक्त" if lang == "hi" else "vacant")
    lines = [_WHAT[lang][min(escalation.level, 3)], "",
             f"{label[0]}: {file.number}",
             f"{label[1]}: {file.subject}",
             f"{label[2]}: {names} ({_title(holder_post, lang)})",
             f"{label[3]}: {_ist(task.since)}",
             f"{label[4]}: {task.limit_days} {label[5]} {_ist(task.due_at)}",
             f"{label[6]}: {escalation.level}",
             f"{label[7]}: {file_link(file)}"]
    return "\n".join(lines)


def _title(post: Post, lang: str) -> str:
    return (post.title_hi or post.title) if lang == "hi" else post.title


def _addresses(users: Iterable[User]) -> list[str]:
    return list(dict.fromkeys(u.email.strip() for u in users if u.email and u.email.strip()))


def _ist(moment: datetime | None) -> str:
    return moment.astimezone(IST).strftime("%d-%m-%Y %H:%M IST") if moment else "-"
