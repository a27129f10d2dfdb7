"""Throttling of refused sign-ins, per login and client address and per address, with a
computer that signed in rightly as a login counted apart: a 429 with the sign-in page and a
message in the official's language, at once (no worker sleeps), the same for logins that exist
and that do not, never keeping the holder out, and shared by several workers through the
storage they are given."""

import re
import shutil
import socket
import subprocess
import time

import pytest

from web import throttle
from webtools import csrf, flashes, make_app, post, sign_in


def _no_sleep(seconds):
    raise AssertionError(f"a worker slept {seconds} s")


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_strangers_wrong_guesses_hold_up_the_stranger_not_the_holder(
        session, tmp_path, people, monkeypatch):
    monkeypatch.setattr("time.sleep", _no_sleep)
    app = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_LOGIN="3 per 15 minutes")
    desk = _from(app, "10.0.0.1")  # the holder's own computer, behind the office's address
    assert sign_in(desk, "rajesh.prasad").status_code == 302
    post(desk, "/sign-off")
    stranger = _from(app, "10.0.0.1")  # someone else in the same office
    for n in range(3):
        assert sign_in(stranger, "rajesh.prasad", f"guess-{n}").status_code == 401
    response = sign_in(stranger, "rajesh.prasad")  # even the right password waits its turn
    assert response.status_code == 429
    assert "Too many wrong sign-ins for this login; try again after" in flashes(response)[0]
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1  # the window, rounded up
    assert 'name="password"' in response.get_data(as_text=True)  # the sign-in page, not an error
    assert sign_in(desk, "rajesh.prasad").status_code == 302  # from where he signed in before
    assert sign_in(_from(app, "10.9.9.9"), "rajesh.prasad").status_code == 302  # and elsewhere
    assert sign_in(stranger, "manoj.yadav").status_code == 302  # other logins sign in from there


def test_a_computer_that_signed_in_as_a_login_escapes_its_address_throttle_but_has_its_own(
        session, tmp_path, monkeypatch):
    monkeypatch.setattr("time.sleep", _no_sleep)
    app = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_ADDRESS="3 per 15 minutes",
                   SIGN_IN_LIMIT_PER_DEVICE="2 per 15 minutes")
    desk = _from(app, "10.0.0.1")
    assert sign_in(desk, "manoj.yadav").status_code == 302
    post(desk, "/sign-off")
    stranger = _from(app, "10.0.0.1")
    for login in ("rajesh.prasad", "pooja.kumari", "no.such.person"):
        assert sign_in(stranger, login, "nope-nope").status_code == 401
    assert sign_in(stranger, "manoj.yadav").status_code == 429  # the address is held up
    assert sign_in(desk, "manoj.yadav").status_code == 302  # but not Manoj at his desk
    post(desk, "/sign-off")
    assert sign_in(desk, "rajesh.prasad").status_code == 429  # for his own login only
    for _ in range(2):  # a copied device cookie is no key: it is counted on its own
        assert sign_in(desk, "manoj.yadav", "wrong-guess").status_code == 401
    assert sign_in(desk, "manoj.yadav").status_code == 429
    forged = _from(app, "10.0.0.1")  # a device cookie not signed by the app counts for nothing
    forged.set_cookie(throttle.DEVICE_COOKIE, desk.get_cookie(throttle.DEVICE_COOKIE).value[:-3]
                      + "AAA")
    assert sign_in(forged, "manoj.yadav").status_code == 429


def test_a_guesser_spread_over_many_addresses_meets_a_limit_for_the_login(
        session, tmp_path, monkeypatch):
    monkeypatch.setattr("time.sleep", _no_sleep)
    app = make_app(session, tmp_path, SIGN_IN_LIMIT_EVERYWHERE="4 per hour")
    desk = _from(app, "10.0.0.1")
    assert sign_in(desk, "rajesh.prasad").status_code == 302
    post(desk, "/sign-off")
    for n in range(4):
        assert sign_in(_from(app, f"10.0.1.{n}"), "rajesh.prasad", "guess").status_code == 401
        assert sign_in(_from(app, f"10.0.2.{n}"), "no.such.person", "guess").status_code == 401
    known = sign_in(_from(app, "10.0.3.1"), "rajesh.prasad")
    unknown = sign_in(_from(app, "10.0.3.1"), "no.such.person")
    assert known.status_code == unknown.status_code == 429  # the same for a login that is not
    # the same words; the time to try again is each one's own (their guesses straddle a
    # minute when the machine is busy)
    assert [_untimed(m) for m in flashes(known)] == [_untimed(m) for m in flashes(unknown)]
    assert sign_in(desk, "rajesh.prasad").status_code == 302  # his own computer still lets him in


def _untimed(message):
    return re.sub(r"\b\d{1,2}:\d{2}\b", "HH:MM", message)


def test_wrong_sign_ins_from_one_address_are_throttled_in_the_users_language(
        session, tmp_path, people, monkeypatch):
    monkeypatch.setattr("time.sleep", _no_sleep)
    app = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    client = app.test_client()
    client.post("/language", data={"language": "hi", "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    started = time.monotonic()
    for login in ("rajesh.prasad", "manoj.yadav", "sunita.kumari"):  # one guess at each login
        assert sign_in(client, login, "password123").status_code == 401
    response = sign_in(client, "pooja.kumari")
    assert time.monotonic() - started < 10  # loosely: the old answers slept seconds each
    assert response.status_code == 429
    assert "इस कंप्यूटर से बहुत बार गलत साइन इन हुआ" in flashes(response)[0]
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    assert sign_in(elsewhere, "pooja.kumari").status_code == 302
    # signing in rightly does not count against an address: a whole office signs in from one
    office = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_ADDRESS="2 per 15 minutes").test_client()
    for _ in range(4):
        assert sign_in(office, "manoj.yadav").status_code == 302


def test_behind_a_proxy_the_officials_own_address_is_throttled(session, tmp_path):
    app = make_app(session, tmp_path, PROXIES=1, SIGN_IN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    guesser, official = app.test_client(), app.test_client()
    guesser.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    official.environ_base["HTTP_X_FORWARDED_FOR"] = "10.20.30.40"
    for login in ("rajesh.prasad", "sunita.kumari"):
        assert sign_in(guesser, login, "nope-nope").status_code == 401
    assert sign_in(guesser, "pooja.kumari", "nope-nope").status_code == 429
    assert sign_in(official, "manoj.yadav").status_code == 302  # same proxy, another client


@pytest.fixture
def redis_url(tmp_path):
    """A redis server of our own on a free loopback port (Debian's redis-server)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # waiting for the server to listen, not on a clock
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_workers_with_one_redis_count_the_same_sign_ins(session, tmp_path, redis_url):
    pytest.importorskip("redis")
    limits = {"RATELIMIT_STORAGE_URI": redis_url, "SIGN_IN_LIMIT_PER_LOGIN": "3 per 15 minutes"}
    first = make_app(session, tmp_path, **limits).test_client()
    for _ in range(3):
        assert sign_in(first, "rajesh.prasad", "wrong-guess").status_code == 401
    # another worker (in memory:// it would start counting afresh) finds the same counts
    second = make_app(session, tmp_path, **limits).test_client()
    assert sign_in(second, "rajesh.prasad").status_code == 429
    memory = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_LOGIN="3 per 15 minutes").test_client()
    assert sign_in(memory, "rajesh.prasad").status_code == 302


def test_a_store_out_of_reach_does_not_stop_officials_signing_in(session, tmp_path):
    pytest.importorskip("redis")
    with socket.socket() as probe:  # a port no one listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_app(session, tmp_path,
                      RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}").test_client()
    assert sign_in(client, "manoj.yadav", "wrong-guess").status_code == 401
    assert sign_in(client, "manoj.yadav").status_code == 302
