"""How pages, scripts and styles travel on an office's slow line.

Responses that are text (pages, scripts, styles, JSON, BPMN XML) go compressed, brotli, zstd or
gzip as the browser asks (Flask-Compress).  The session cookie is SameSite=Lax, so a page
compressed with its CSRF token is not one another site can have the browser fetch again and
again to guess the token from the sizes (BREACH).

The links to the files of ``static/`` and ``static/vendor/`` carry a digest of the file
(``?v=``); a browser keeps a file asked for with its current digest for a year, and a change
of the file changes the link, so a new release is fetched at once.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import request
from flask_compress import Compress

from .vendor import VENDOR

YEAR = 365 * 24 * 3600
compress = Compress()


def init_app(app):
    # brotli first (the smallest at its level 6 in the time a page can spend: the modeler's
    # 548 KB become 140 KB in 12 ms).  A stream is sent as it is: Flask-Compress would leave
    # the file behind a streamed static file open; those are read whole below instead.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 6)
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/plain", "text/xml", "text/javascript", "text/csv",
        "application/javascript", "application/json", "application/xml", "image/svg+xml",
        "application/vnd.ms-fontobject", "font/ttf"])
    compress.init_app(app)
    folders = {"static": ("filename", Path(app.static_folder)), "vendor.asset": ("name", VENDOR)}

    @app.url_defaults
    def _versioned(endpoint, values):
        if endpoint in folders and "v" not in values:
            key, folder = folders[endpoint]
            version = digest(folder, values.get(key))
            if version:
                values["v"] = version

    @app.after_request  # runs before the compressor's (after_request runs last-added first)
    def _kept(response):
        if request.endpoint not in folders:
            return response
        if response.status_code == 200 and response.is_streamed:
            data = b"".join(response.response)  # the files are small: 548 KB at most
            response.close()  # the file it was read from
            response.direct_passthrough = False
            response.set_data(data)
        if response.status_code in (200, 304):
            key, folder = folders[request.endpoint]
            asked = request.args.get("v")
            if asked and asked == digest(folder, (request.view_args or {}).get(key)):
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
        return response


def digest(folder, name):
    """The first 12 hex digits of the file's sha256, or None for a name not in ``folder``."""
    if not name:
        return None
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        return None
    stat = path.stat()
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _digest(path, _mtime_ns, _size):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
