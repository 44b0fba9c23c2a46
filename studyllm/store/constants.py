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

MAX_DURATION_MS = 2**31 - 1  # the longest answer time stored (24.8 days); longer ones are clamped
