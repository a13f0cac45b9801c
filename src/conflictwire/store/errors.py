"""Typed errors of the store package."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store package raises."""

    code = "store_error"


class BadDatabaseURL(StoreError, ValueError):
    """The database URL or path names no database the store can open."""

    code = "bad_database_url"


class MigrationError(StoreError):
    """The schema could not be brought up to date."""

    code = "migration_failed"


class NotFound(StoreError, LookupError):
    """A record the caller named does not exist."""

    code = "not_found"


class InvalidRecord(StoreError, ValueError):
    """A record cannot be stored as given (a malformed date, a report of another article, ...)."""

    code = "invalid_record"


class InvalidQuery(StoreError, ValueError):
    """A query's parameters make no sense (a limit below one, a malformed bounding box, ...)."""

    code = "invalid_query"


class InvalidCursor(InvalidQuery):
    """A pagination cursor is not one this store handed out."""

    code = "invalid_cursor"
