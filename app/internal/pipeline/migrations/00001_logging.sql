-- The logging pipeline's tables. requests and propositions are partitioned by day on the
-- request's UUIDv7, whose first 48 bits are its creation time in milliseconds: the primary key
-- is then the partition key, so INSERT … ON CONFLICT (id) DO NOTHING is exact across
-- partitions, and a day's requests and their propositions live (and are dropped) together.
-- The writer creates each day's partitions (requests_pYYYYMMDD, propositions_pYYYYMMDD).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION ciagent_uuid7_floor(ts timestamptz) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT (lpad(to_hex(floor(extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION ciagent_uuid7_floor(timestamptz) IS
	'The least UUIDv7 created at or after ts: WHERE id >= ciagent_uuid7_floor(t) selects requests since t and prunes partitions.';

CREATE TABLE requests (
	id              uuid        NOT NULL,
	kind            text        NOT NULL,
	received_at     timestamptz NOT NULL,
	latency_us      bigint      NOT NULL,
	client          text        NOT NULL DEFAULT '',
	repo            text        NOT NULL DEFAULT '',
	meta            jsonb,
	input_size      bigint      NOT NULL,
	input_sha256    bytea,
	input           text        NOT NULL DEFAULT '', -- redacted; the whole input or its tail, per configuration
	input_truncated boolean     NOT NULL DEFAULT false,
	outcome         text        NOT NULL DEFAULT '', -- top category (ci_explain) or verdict (spam_check)
	score           double precision NOT NULL DEFAULT 0,
	ranker_version  text        NOT NULL DEFAULT '',
	PRIMARY KEY (id)
) PARTITION BY RANGE (id);

CREATE TABLE propositions (
	request_id uuid             NOT NULL,
	rank       integer          NOT NULL,
	cause_id   text             NOT NULL, -- a CI failure cause id, or a spam reason code
	category   text             NOT NULL DEFAULT '',
	score      double precision NOT NULL,
	features   jsonb,
	PRIMARY KEY (request_id, rank)
) PARTITION BY RANGE (request_id);

-- No index on propositions.cause_id: every hot query reaches propositions through request_id
-- (the primary key's prefix), and acceptance rates by cause are read from feedback. Each index
-- here costs every write.

-- Feedback is small and outlives the requests it is about (it is the training data), so it is
-- neither partitioned nor tied to requests by a foreign key.
CREATE TABLE feedback (
	id         uuid        PRIMARY KEY, -- derived from (request_id, cause_id, outcome, actor): repeats are one row
	request_id uuid        NOT NULL,
	cause_id   text        NOT NULL DEFAULT '', -- '' = about the whole answer
	outcome    text        NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'false_positive', 'false_negative')),
	actor      text        NOT NULL DEFAULT '',
	at         timestamptz NOT NULL
);
CREATE INDEX feedback_request_id ON feedback (request_id, cause_id);
CREATE INDEX feedback_cause_id_at ON feedback (cause_id, at);

-- +goose Down
DROP TABLE feedback;
DROP TABLE propositions;
DROP TABLE requests;
DROP FUNCTION ciagent_uuid7_floor(timestamptz);
