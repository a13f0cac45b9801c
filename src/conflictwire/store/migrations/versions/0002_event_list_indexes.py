"""Indexes for the API's list orders and the country filter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add one index per sort column (key descending, then id) and one on country and date."""
    op.create_index("ix_events_date_order", "events", [sa.text("date_value DESC"), "id"])
    op.create_index("ix_events_fatalities_order", "events", [sa.text("fatalities_best DESC"), "id"])
    op.create_index("ix_events_sources_order", "events", [sa.text("independent_sources DESC"), "id"])
    op.create_index("ix_events_country_date", "events", ["country_code", sa.text("date_value DESC"), "id"])


def downgrade() -> None:
    """Drop the indexes this revision added."""
    for name in ("ix_events_country_date", "ix_events_sources_order", "ix_events_fatalities_order",
                 "ix_events_date_order"):
        op.drop_index(name, table_name="events")
