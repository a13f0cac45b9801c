"""The database schema: SQLAlchemy Core tables shared by SQLite and PostgreSQL.

The migrations in ``store/migrations`` create exactly these tables; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

# Explicit constraint names keep migrations reproducible across both engines.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

raw_inputs = Table(
    "raw_inputs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("source", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("external_id", String(512), nullable=True, index=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("raw_sha256", String(64), ForeignKey("raw_inputs.sha256"), nullable=True),
    Column("outlet", Text),
    Column("url", Text),
    Column("published", Date),
    Column("language", String(32)),
    Column("title", Text),
    Column("byline", Text),
    Column("translator", Text),
    Column("text", Text, nullable=False),
    Column("source", Text),
    # none_as_null: a missing fingerprint is SQL NULL, not the JSON value null.
    Column("fingerprint", JSON(none_as_null=True), nullable=True),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("sub_event_type", String(64), nullable=False),
    Column("date_value", Date, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("country_code", String(8), nullable=True),
    Column("data", JSON, nullable=False),
    Column("event_id", String(64), nullable=True, index=True),
)

events = Table(
    "events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("sub_event_type", String(64), nullable=False),
    Column("date_value", Date, nullable=True, index=True),
    Column("date_precision", String(8), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("country_code", String(8), nullable=True),
    Column("admin1", Text, nullable=True),
    Column("fatalities_best", Integer, nullable=True),
    Column("grade", String(32), nullable=False, index=True),
    Column("independent_sources", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    # Actor names and texts, one a line: lets the actor filter avoid scanning the JSON.
    Column("actors", Text, nullable=False, server_default=""),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Index("ix_events_lat_lon", "lat", "lon"),
    Index("ix_events_event_type", "event_type"),
)

# The list orders of the API (store.db.SORTS): one index per sort column, key descending then id, scanned
# forwards for the descending order and backwards for the ascending one; the country one serves the
# most common filter in the default order without a sort.
Index("ix_events_date_order", events.c.date_value.desc(), events.c.id)
Index("ix_events_fatalities_order", events.c.fatalities_best.desc(), events.c.id)
Index("ix_events_sources_order", events.c.independent_sources.desc(), events.c.id)
Index("ix_events_country_date", events.c.country_code, events.c.date_value.desc(), events.c.id)

event_versions = Table(
    "event_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("data", JSON, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, index=True),
)
