"""Routes and their immutable versions: the BPMN a file travels on."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .office import Office


class Route(Base):
    __tablename__ = "routes"
    __table_args__ = (UniqueConstraint("office_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))

    office: Mapped[Office] = relationship()
    versions: Mapped[list["RouteVersion"]] = relationship(
        back_populates="route", order_by="RouteVersion.version")


class RouteVersion(Base):
    """One published version. Never changed: files in flight keep the version they began on."""

    __tablename__ = "route_versions"
    __table_args__ = (UniqueConstraint("route_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"), index=True)
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    route: Mapped[Route] = relationship(back_populates="versions")
