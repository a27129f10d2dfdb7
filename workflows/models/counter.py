"""Serial numbers per office, per kind and per year: files (per section), receipts, issued
letters and orders."""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class NumberCounter(Base):
    """The last serial given in an office for a kind in a year: "R", "ORDER", "LETTER", ...,
    and "file:<section id>" for the files of a section (see ``files.numbering``)."""

    __tablename__ = "number_counters"
    __table_args__ = (UniqueConstraint("office_id", "kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)
