"""The pages' dates, moments and numbers: put together without babel's general formatter for
the pages' own patterns, and held here to what babel itself writes, in English and Hindi."""

from datetime import datetime, timedelta, timezone

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from web import create_app
from web.i18n import DAY, MOMENT, day, num, when
from workflows.clock import IST
from workflows.errors import devanagari_digits


@pytest.fixture(scope="module")
def app():
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("language", ["en", "hi"])
def test_moments_days_and_numbers_are_written_as_babel_writes_them(app, language):
    script = devanagari_digits if language == "hi" else str
    start = datetime(2024, 12, 31, 18, 29, tzinfo=timezone.utc)  # the last minute of a year, IST
    with app.test_request_context(headers={"Accept-Language": language}):
        for step in range(0, 24 * 400, 13):       # every month, and hours across midnight
            moment = start + timedelta(hours=step, minutes=step % 60)
            local = moment.astimezone(IST)
            assert when(moment) == script(format_datetime(local, MOMENT, locale=language,
                                                          tzinfo=IST))
            assert day(local.date()) == script(format_date(local.date(), DAY, locale=language))
        for value in (0, 7, 999, -999, 1000, 123456, 12345678, 2.5):
            assert num(value) == script(format_decimal(value, locale="en_IN"))
        assert when(None) == day(None) == "—"
        assert when(start, "y") == script("2024")  # another pattern: babel formats it
