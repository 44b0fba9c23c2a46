"""Schema version and queue codes, kept apart from the SQLModel classes so the hot paths
(start-up, study) don't have to import SQLModel; the tables are only needed to create the schema."""

SCHEMA_VERSION = 1

# card_state.queue values
QUEUE_NEW = 0
QUEUE_LEARNING = 1  # reviewed, repetitions < 2 (still on the 1- and 6-day steps)
QUEUE_REVIEW = 2
QUEUE_SUSPENDED = -1
QUEUE_ARCHIVED = -2  # removed from its file; history kept
