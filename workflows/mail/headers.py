"""A mail subject in Hindi that keeps its spaces in every mail client.

Python's email package cuts a long non-ASCII subject into RFC 2047 encoded words wherever a
line fills up, in the middle of a word, and puts the spaces between words at the cut.  A
decoder drops whitespace between two encoded words (RFC 2047, section 6.2), so a client
shows "संचिकाDDMO" or splits "पार" into "पा र".  Here each encoded word holds whole words and
carries the space after them inside it, so nothing a reader sees depends on folding."""

import base64

# An encoded word may be 75 characters long (RFC 2047, section 2), but a header line longer
# than 78 is folded again by Python's email package, its own way; 30 bytes of text (ten
# Devanagari letters) make an encoded word of 52 characters, which fits on a line with
# "Subject: [Sanchika] ".
_MOST_BYTES = 30


def subject_header(subject: str) -> str:
    """The Subject header's folded value for ``subject``: ASCII words as they are, each run of
    words with other letters as encoded words, cut only between words."""
    words = subject.split(" ")
    pieces: list[str] = []
    run: list[str] = []
    for word in words:
        if word.isascii() and not _looks_encoded(word):
            pieces.extend(_encode_run(run))
            run = []
            pieces.append(word)
        else:
            run.append(word)
    pieces.extend(_encode_run(run))
    return _fold(pieces)


def _looks_encoded(word: str) -> bool:
    # text that a decoder would take for an encoded word is encoded itself, so it stays text
    return "=?" in word


def _encode_run(run: list[str]) -> list[str]:
    """Encoded words for consecutive words: the space between two words is kept inside the
    first one's encoded word, since the folding space between encoded words is dropped."""
    out: list[str] = []
    chunk = ""
    for i, word in enumerate(run):
        text = word + (" " if i < len(run) - 1 else "")
        for part in _pieces_of(text):
            if chunk and len((chunk + part).encode()) > _MOST_BYTES:
                out.append(_encoded(chunk))
                chunk = ""
            chunk += part
    if chunk:
        out.append(_encoded(chunk))
    return out


def _pieces_of(text: str) -> list[str]:
    """``text`` whole, or, for a word longer than one encoded word holds, cut between
    characters (never inside one)."""
    if len(text.encode()) <= _MOST_BYTES:
        return [text]
    parts, part = [], ""
    for char in text:
        if len((part + char).encode()) > _MOST_BYTES:
            parts.append(part)
            part = ""
        part += char
    return parts + [part]


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode("ascii") + "?="


def _fold(pieces: list[str], width: int = 76) -> str:
    """Join the pieces with single spaces, folding before a piece that would pass ``width``
    ("Subject: " counts on the first line)."""
    lines: list[str] = []
    line, used = "", len("Subject: ")
    for piece in pieces:
        if line and used + 1 + len(piece) > width:
            lines.append(line)
            line, used = "", 0
        if line:
            line, used = f"{line} {piece}", used + 1 + len(piece)
        else:
            line, used = piece, used + len(piece)
    lines.append(line)
    return "\n ".join(lines)
