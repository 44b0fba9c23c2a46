"""Schema version and queue codes, kept apart from the SQLModel classes so the hot paths
(start-up, study) don't have to import SQLModel; the tables are only needed to create the schema."""

from studyllm.schedule import (  # noqa: F401  (re-exported)
    QUEUE_ARCHIVED,
    QUEUE_LEARNING,
    QUEUE_NEW,
    QUEUE_REVIEW,
    QUEUE_SUSPENDED,
)

SCHEMA_VERSION = 7  # see studyllm/store/migrations.py for what each version added

LEGACY_KEY = "schema_version"
"""The ``meta`` row that held the version up to schema 1. studyllm reads it only when
``user_version`` is 0, and keeps it equal to the version so that a studyllm of schema 1 opening
a newer file says "newer than this studyllm understands" instead of failing. Here, not in
:mod:`studyllm.store.migrations`, so that opening a current database doesn't import the steps."""

MAX_DURATION_MS = 2**31 - 1  # the longest answer time stored (24.8 days); longer ones are clamped
