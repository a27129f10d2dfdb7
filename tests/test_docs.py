"""The guides point only at pictures that exist, and that the browser walk takes."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("guide", ["officer-guide.md", "officer-guide.hi.md"])
def test_every_picture_in_the_guide_exists(guide):
    text = (DOCS / guide).read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 8
    walk = (DOCS.parent / "tests" / "test_browser.py").read_text()
    for picture in pictures:
        assert (DOCS / picture).is_file(), picture
        name = Path(picture).stem.split("-", 1)[1]  # en-workspace.png -> workspace
        assert f'shot("{name}")' in walk, f"{picture} is not taken by the browser walk"
    for link in re.findall(r"(?<!!)\[[^\]]*\]\(([^)#]+\.md)\)", text):
        assert (DOCS / link).is_file(), link
