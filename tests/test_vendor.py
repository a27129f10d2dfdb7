"""The bpmn-js files the app serves (committed in web/static/vendor/, shipped in the wheel) are
the files of the version package.json pins, as npm installs it."""

import json
from pathlib import Path

from web.vendor import SOURCES, VENDOR

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"


def test_the_files_served_are_the_pinned_bpmn_js():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["bpmn-js"]
    installed = json.loads((NODE_MODULES / "bpmn-js" / "package.json").read_text())["version"]
    assert installed == pinned, "run npm ci (make setup)"
    stale = [name for name, source in SOURCES.items()
             if (VENDOR / name).read_bytes() != (NODE_MODULES / source).read_bytes()]
    assert not stale, f"{stale} differ from bpmn-js {pinned}: run make vendor and commit"
    assert sorted(p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*")
                  if p.is_file()) == sorted(SOURCES)


def test_scripts_and_pages_travel_compressed_and_scripts_are_kept(client):
    """On a slow line: a vendor script and a page come compressed as the browser asks, and the
    page links its scripts and styles with their digest, kept by the browser for a year."""
    import gzip
    import re

    import brotli

    from webtools import sign_in

    viewer = (VENDOR / "bpmn-viewer.js").read_bytes()
    for encoding, unpack in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        with client.get("/vendor/bpmn-viewer.js", headers={"Accept-Encoding": encoding}) as r:
            assert r.headers["Content-Encoding"] == encoding
            assert "Accept-Encoding" in r.headers["Vary"]
            assert unpack(r.data) == viewer and len(r.data) < len(viewer) / 3
    with client.get("/vendor/bpmn-viewer.js") as plain:  # a client that asks for none
        assert "Content-Encoding" not in plain.headers and plain.data == viewer

    sign_in(client, "manoj.yadav")
    page = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert page.headers["Content-Encoding"] == "br" and "Accept-Encoding" in page.headers["Vary"]
    html = brotli.decompress(page.data).decode()
    assert "Inbox" in html and len(page.data) < len(html.encode()) / 2
    style = re.search(r'href="(/static/sanchika.css\?v=[0-9a-f]{12})"', html).group(1)
    with client.get(style, headers={"Accept-Encoding": "br"}) as kept:
        assert kept.headers["Content-Encoding"] == "br"
        assert {"public", "immutable", "max-age=31536000"} <= set(
            kept.headers["Cache-Control"].replace(" ", "").split(","))
        again = client.get(style, headers={"Accept-Encoding": "br",
                                           "If-None-Match": kept.headers["ETag"]})
        assert again.status_code == 304  # the browser asks again: nothing is sent
    with client.get("/static/sanchika.css?v=000000000000") as stale:  # not this release's
        assert "immutable" not in stale.headers["Cache-Control"]
