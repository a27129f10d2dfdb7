"""Building the wheel: everything else is in pyproject.toml.  The Hindi catalog is compiled
(.po to .mo) into the built package, so that an installed Sanchika carries its translations
and never writes into site-packages; a checkout compiles its own when the app starts
(web/i18n.py)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # the package is the checkout itself
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
        for po in sorted(Path("web/translations").glob("*/LC_MESSAGES/*.po")):
            mo = Path(self.build_lib) / po.with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


setup(cmdclass={"build_py": BuildPy})
