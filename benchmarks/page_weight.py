"""What the main pages cost on an office's line: the bytes each page brings over the wire with
everything it loads along (scripts, styles, fonts, images and frames in the page, the data its
scripts fetch), and the seconds that takes at 256 kbit/s, asked once as a browser asks
(``Accept-Encoding: gzip, deflate, br, zstd``) and once without compression (the baseline, in
the same run).

Pages: the inbox, the file page of a file carrying a scanned letter (``--scan-kb``, 2,300 KB
by default, bytes that do not compress, as a scan's), the route viewer of that file, the heat
map of its route and the route editor.  Each figure is for an empty browser cache; latency and
round trips are left out, so the seconds are the least the line needs.  The scan itself is
reported apart: what opening it on request costs.

``--root PATH`` measures another checkout of Sanchika (say, the main branch before a change)
with the same method.  Run ``python benchmarks/page_weight.py --help`` for the options.
"""

import argparse
import html
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

LINE_BITS = 256_000  # a 256 kbit/s line
BROWSER = "gzip, deflate, br, zstd"
PASSWORD = "sanchika-demo"  # noqa: S105  (the demo's published password)
ASSETS = (r'<script[^>]*\ssrc="([^"]+)"', r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"',
          r'<img[^>]*\ssrc="([^"]+)"', r'<iframe[^>]*\ssrc="([^"]+)"',
          # what the diagram and editor scripts fetch as they start
          r'data-(?:xml|figures|xml-url)="([^"]+)"')


def setup(root, scan_kb, folder):
    """A demo database with a file held by the dealing assistant, carrying a scan."""
    sys.path.insert(0, str(root))
    from sqlalchemy import select

    from workflows import demo, org
    from workflows.db import make_engine, make_sessionmaker, schema
    from workflows.files import attachments, filing
    from workflows.models import Route

    url, store = f"sqlite:///{folder}/bench.db", Path(folder) / "store"
    engine = make_engine(url)
    schema.upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        demo.load_demo(session)
        office = org.office_by_code(session, "SADAR")
        pooja = org.user_by_login(session, "pooja.kumari")
        file = filing.open_file(session, office=office, user=pooja, route_key="general_noting",
                                subject="Roof repair of the record room",
                                first_note="The record room roof leaks; estimate attached.")
        scan = b"\x89PNG\r\n\x1a\n" + os.urandom(scan_kb * 1024 - 8)
        attachments.attach(session, number=file.number, user=pooja, filename="estimate.png",
                           data=scan, store=store)
        route = session.scalar(select(Route).where(Route.office_id == office.id,
                                                   Route.key == "general_noting"))
        ids = {"file": file.id, "office": office.id, "route": route.id}
    engine.dispose()
    return url, store, ids


def wire_bytes(response):
    """Status line, headers and body as they cross the line."""
    body = b"".join(response.response) if response.is_streamed else response.get_data()
    head = len(f"HTTP/1.1 {response.status}\r\n") + sum(
        len(f"{k}: {v}\r\n") for k, v in response.headers.items()) + 2
    return head + len(body), body, response.headers.get("Content-Encoding", "")


def page_weight(client, path, encoding):
    """Bytes of the page and of everything it loads along, each asset counted once."""
    headers = {"Accept-Encoding": encoding}
    total, seen, queue, parts = 0, set(), [path], []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        size, body, used = wire_bytes(response)
        total += size
        parts.append({"url": url, "bytes": size, "encoding": used})
        text = decoded(body, used)
        kind = response.mimetype
        if kind == "text/html":
            for pattern in ASSETS:
                queue += [urljoin(url, html.unescape(m)) for m in re.findall(pattern, text)]
        elif kind == "text/css":  # fonts a stylesheet draws with: a browser takes the woff2
            queue += [urljoin(url, m).split("?")[0].split("#")[0]
                      for m in re.findall(r"url\(['\"]?([^'\")]+\.woff2[^'\")]*)", text)]
    return total, parts


def decoded(body, used):
    if not used:
        return body.decode("utf-8", "replace")
    from flask_compress.flask_compress import _uncompress_data
    return _uncompress_data(body, used).decode("utf-8", "replace")


def signed_in(app, login):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"login": login, "password": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 302, f"{login} could not sign in"
    return client


def seconds(size):
    return round(size * 8 / LINE_BITS, 2)


def measure(root, scan_kb):
    with tempfile.TemporaryDirectory(prefix="sanchika_pages_") as folder:
        url, store, ids = setup(root, scan_kb, folder)
        from web import create_app
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ATTACHMENTS": str(store),
                          "SECOND_FACTOR_EXEMPT": ("sunita.kumari",), "RATELIMIT_ENABLED": False})
        official, head = signed_in(app, "pooja.kumari"), signed_in(app, "sunita.kumari")
        pages = {
            "inbox": (official, "/"),
            "file page": (official, f"/files/{ids['file']}"),
            "route viewer": (official, f"/files/{ids['file']}/route"),
            "heat map": (head, f"/reports/routes/{ids['route']}?office={ids['office']}"),
            "editor": (head, f"/admin/offices/{ids['office']}/routes/editor?route={ids['route']}"),
        }
        doc = {"root": str(root), "line_kbit_s": LINE_BITS // 1000, "scan_kb": scan_kb,
               "pages": {}}
        for name, (client, path) in pages.items():
            plain, _ = page_weight(client, path, "identity")
            packed, parts = page_weight(client, path, BROWSER)
            doc["pages"][name] = {
                "path": path, "bytes_uncompressed": plain, "s_uncompressed": seconds(plain),
                "bytes": packed, "s": seconds(packed),
                "compressed / uncompressed": round(packed / plain, 3),
                "requests": len(parts),
                "scan_in_page": any("/documents/" in p["url"] for p in parts),
                "parts": parts}
        scan = [u for u in re.findall(r'href="([^"]*/documents/\d+)"', official.get(
            f"/files/{ids['file']}").get_data(as_text=True))]
        if scan:
            size, _body, _used = wire_bytes(official.get(scan[0], headers={
                "Accept-Encoding": BROWSER}))
            doc["scan_on_request"] = {"bytes": size, "s": seconds(size)}
    return doc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the Sanchika checkout to measure (default: this one)")
    parser.add_argument("--scan-kb", type=int, default=2300,
                        help="size of the scanned letter on the file (KB)")
    parser.add_argument("--parts", action="store_true", help="list every response of each page")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    doc = measure(args.root.resolve(), args.scan_kb)
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"{doc['root']}: bytes on the wire per page, empty cache, "
          f"seconds at {doc['line_kbit_s']} kbit/s")
    print(f"{'page':14} {'uncompressed':>14} {'s':>6} {'compressed':>12} {'s':>6} "
          f"{'ratio':>6} {'req':>4}  scan in page")
    for name, p in doc["pages"].items():
        print(f"{name:14} {p['bytes_uncompressed']:>14,} {p['s_uncompressed']:>6} "
              f"{p['bytes']:>12,} {p['s']:>6} {p['compressed / uncompressed']:>6} "
              f"{p['requests']:>4}  {'yes' if p['scan_in_page'] else 'no'}")
        for part in p["parts"] if args.parts else ():
            print(f"    {part['bytes']:>10,} {part['encoding'] or '-':5} "
                  f"{urlsplit(part['url']).path}")
    if "scan_on_request" in doc:
        s = doc["scan_on_request"]
        print(f"the scan, opened on request: {s['bytes']:,} bytes, {s['s']} s")


if __name__ == "__main__":
    main()
