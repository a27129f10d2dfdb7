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
