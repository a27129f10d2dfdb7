"""Browser libraries installed from npm (package.json pins them; `make` installs them)."""

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
FILES = {
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-modeler.js": "bpmn-js/dist/bpmn-modeler.production.min.js",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    # The modeler's palette and context pad draw their icons with this font (the editor
    # alone loads it); the stylesheet finds the font files beside it, as in the package.
    "bpmn-font/css/bpmn.css": "bpmn-js/dist/assets/bpmn-font/css/bpmn.css",
    **{f"bpmn-font/font/bpmn.{kind}": f"bpmn-js/dist/assets/bpmn-font/font/bpmn.{kind}"
       for kind in ("woff2", "woff", "ttf", "eot", "svg")},
}


@bp.route("/<path:name>")
def asset(name):
    if name not in FILES or not (NODE_MODULES / FILES[name]).exists():
        abort(404)
    path = NODE_MODULES / FILES[name]
    return send_from_directory(path.parent, path.name, max_age=7 * 24 * 3600)
