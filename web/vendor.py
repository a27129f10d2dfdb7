"""Browser libraries from npm, shipped inside the package: the bpmn-js viewer and modeler of
the version package.json pins, kept in ``static/vendor/`` so that an installed wheel serves
them with no node_modules beside it.  ``make vendor`` copies them again after a new pin;
tests/test_vendor.py checks that they are the pinned package's files."""

import shutil
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

VENDOR = Path(__file__).parent / "static" / "vendor"
# Each file served, and where it comes from in node_modules.
SOURCES = {
    # The route viewer and the heat map draw a route fitted to its box and mark it: the plain
    # viewer does that (the navigated one adds panning and zooming by mouse: 7 KB more).
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-viewer.production.min.js",
    "bpmn-modeler.js": "bpmn-js/dist/bpmn-modeler.production.min.js",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    # The modeler's palette and context pad draw their icons with this font (the editor
    # alone loads it); the stylesheet finds the font files beside it, as in the package.
    "bpmn-font/css/bpmn.css": "bpmn-js/dist/assets/bpmn-font/css/bpmn.css",
    **{f"bpmn-font/font/bpmn.{kind}": f"bpmn-js/dist/assets/bpmn-font/font/bpmn.{kind}"
       for kind in ("woff2", "woff", "ttf", "eot", "svg")},
    # The licence travels with the copies (it asks that the bpmn.io watermark stay visible).
    "LICENSE-bpmn-js.txt": "bpmn-js/LICENSE",
}


@bp.route("/<path:name>")
def asset(name):
    if name not in SOURCES:
        abort(404)
    return send_from_directory(VENDOR, name, max_age=7 * 24 * 3600)


def copy_from(node_modules):
    """Copy the files served from an npm install (``make vendor``)."""
    for name, source in SOURCES.items():
        (VENDOR / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(node_modules) / source, VENDOR / name)
