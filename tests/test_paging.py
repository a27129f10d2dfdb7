"""Long lists a page at a time (web/paging.py): which rows, the totals, the links."""

import pytest
from flask import Flask

from web.paging import SIZE, page_of


@pytest.fixture
def app():
    app = Flask(__name__)
    app.add_url_rule("/reports/pendency", "pendency", lambda: "")
    return app


@pytest.mark.parametrize("query, number, first, last", [
    ("", 1, 1, SIZE), ("now_page=2", 2, SIZE + 1, 2 * SIZE), ("now_page=3", 3, 2 * SIZE + 1, 250),
    ("now_page=99", 3, 2 * SIZE + 1, 250),      # beyond the last: the last
    ("now_page=x", 1, 1, SIZE), ("now_page=0", 1, 1, SIZE), ("now_page=-2", 1, 1, SIZE),
])
def test_a_page_holds_its_rows_and_says_which_of_how_many(app, query, number, first, last):
    rows = list(range(1, 251))
    with app.test_request_context("/reports/pendency?" + query):
        page = page_of(rows, "now_page")
    assert (page.number, page.pages, page.total) == (number, 3, 250)
    assert (page.first, page.last) == (first, last) and page.rows == rows[first - 1:last]


def test_the_links_keep_the_other_arguments(app):
    with app.test_request_context("/reports/pendency?office=3&bucket=8%E2%80%9315&now_page=2"):
        page = page_of(list(range(300)), "now_page")
        assert page.link(3) == "/reports/pendency?office=3&bucket=8%E2%80%9315&now_page=3"


def test_an_empty_list_is_one_empty_page(app):
    with app.test_request_context("/reports/pendency"):
        page = page_of([], "done_page")
    assert (page.number, page.pages, page.total, page.first, page.last) == (1, 1, 0, 0, 0)
