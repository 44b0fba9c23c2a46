-- Generated from studyllm/store/models.py by `python -m studyllm.store.schema --write`.
-- Do not edit by hand: change the models, add a step to studyllm/store/migrations.py, regenerate.

CREATE TABLE deck (
	id INTEGER NOT NULL, 
	"key" TEXT NOT NULL, 
	title VARCHAR NOT NULL, 
	source_path VARCHAR NOT NULL, 
	content_hash VARCHAR NOT NULL, 
	tags VARCHAR NOT NULL, 
	options VARCHAR NOT NULL, 
	mode VARCHAR NOT NULL, 
	position INTEGER NOT NULL, 
	archived BOOLEAN NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);

CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE setting (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE source (
	path VARCHAR NOT NULL, 
	is_dir BOOLEAN NOT NULL, 
	added_at VARCHAR NOT NULL, 
	last_import_at VARCHAR, 
	state VARCHAR NOT NULL, 
	moved_to VARCHAR, 
	PRIMARY KEY (path)
);

CREATE TABLE sync_file (
	path VARCHAR NOT NULL, 
	pos INTEGER NOT NULL, 
	tail VARCHAR NOT NULL, 
	lines INTEGER NOT NULL, 
	PRIMARY KEY (path)
);

CREATE TABLE sync_outbox (
	seq INTEGER NOT NULL, 
	at VARCHAR NOT NULL, 
	body VARCHAR NOT NULL, 
	PRIMARY KEY (seq)
);

CREATE TABLE sync_pending (
	uid VARCHAR NOT NULL, 
	line VARCHAR NOT NULL, 
	source VARCHAR NOT NULL, 
	PRIMARY KEY (uid)
);

CREATE TABLE sync_stamp (
	name VARCHAR NOT NULL, 
	at VARCHAR NOT NULL, 
	dev VARCHAR NOT NULL, 
	seq INTEGER NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE sync_undone (
	uid VARCHAR NOT NULL, 
	PRIMARY KEY (uid)
);

CREATE TABLE card (
	id INTEGER NOT NULL, 
	uid TEXT NOT NULL, 
	deck_id INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	variant VARCHAR NOT NULL, 
	front VARCHAR NOT NULL, 
	back VARCHAR NOT NULL, 
	extra VARCHAR NOT NULL, 
	heading_path VARCHAR NOT NULL, 
	tags VARCHAR NOT NULL, 
	line INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	content_hash VARCHAR NOT NULL, 
	norm_hash VARCHAR NOT NULL, 
	archived BOOLEAN NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (uid), 
	FOREIGN KEY(deck_id) REFERENCES deck (id) ON DELETE CASCADE
);

CREATE INDEX ix_card_content_hash ON card (content_hash);

CREATE INDEX ix_card_deck_position ON card (deck_id, position);

CREATE INDEX ix_card_norm_hash ON card (norm_hash);

CREATE TABLE anki_card (
	card_id INTEGER NOT NULL, 
	guid VARCHAR NOT NULL, 
	ord INTEGER NOT NULL, 
	note_type VARCHAR NOT NULL, 
	PRIMARY KEY (card_id), 
	FOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE
);

CREATE INDEX ix_anki_card_guid ON anki_card (guid, ord);

CREATE TABLE card_link (
	new_card_id INTEGER NOT NULL, 
	old_card_id INTEGER NOT NULL, 
	linked_at VARCHAR NOT NULL, 
	snapshot VARCHAR NOT NULL, 
	PRIMARY KEY (new_card_id), 
	FOREIGN KEY(new_card_id) REFERENCES card (id) ON DELETE CASCADE, 
	UNIQUE (old_card_id), 
	FOREIGN KEY(old_card_id) REFERENCES card (id) ON DELETE CASCADE
);

CREATE TABLE card_state (
	card_id INTEGER NOT NULL, 
	deck_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	queue INTEGER NOT NULL, 
	repetitions INTEGER NOT NULL, 
	ef_centi INTEGER NOT NULL, 
	interval INTEGER NOT NULL, 
	due_day VARCHAR, 
	reviews INTEGER NOT NULL, 
	lapses INTEGER NOT NULL, 
	last_reviewed_at VARCHAR, 
	drill_day VARCHAR, 
	buried_until VARCHAR, 
	suspended BOOLEAN NOT NULL, 
	leech BOOLEAN NOT NULL, 
	fsrs_state VARCHAR, 
	sm2_saved VARCHAR, 
	PRIMARY KEY (card_id), 
	FOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE
);

CREATE INDEX ix_state_deck_queue ON card_state (deck_id, queue, due_day);

CREATE INDEX ix_state_drill ON card_state (drill_day, last_reviewed_at) WHERE drill_day IS NOT NULL;

CREATE INDEX ix_state_due_reviews ON card_state (due_day, position) WHERE queue IN (1, 2);

CREATE INDEX ix_state_leech ON card_state (deck_id) WHERE leech = 1;

CREATE INDEX ix_state_queue_due ON card_state (queue, due_day);

CREATE INDEX ix_state_queue_position ON card_state (queue, position);

CREATE TABLE review_log (
	id INTEGER NOT NULL, 
	uid TEXT NOT NULL, 
	card_id INTEGER NOT NULL, 
	card_uid VARCHAR NOT NULL, 
	reviewed_at VARCHAR NOT NULL, 
	day VARCHAR NOT NULL, 
	grade INTEGER NOT NULL, 
	duration_ms INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	reps_before INTEGER NOT NULL, 
	ef_before INTEGER NOT NULL, 
	interval_before INTEGER NOT NULL, 
	due_before VARCHAR, 
	reps_after INTEGER NOT NULL, 
	ef_after INTEGER NOT NULL, 
	interval_after INTEGER NOT NULL, 
	due_after VARCHAR, 
	state_before VARCHAR NOT NULL, 
	fsrs_after VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (uid), 
	FOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE
);

CREATE INDEX ix_log_card ON review_log (card_id, reviewed_at);

CREATE INDEX ix_log_day ON review_log (day, kind, interval_before, grade, card_id);

CREATE INDEX ix_log_reviewed_at ON review_log (reviewed_at);
