-- The built-in ranker's models: one row per trained version, never updated. serve uses the
-- newest row of each kind; an older version comes back by inserting it again (a new id).

-- +goose Up
CREATE TABLE ranking_models (
	id         bigserial   PRIMARY KEY,
	kind       text        NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	model      jsonb       NOT NULL -- ranking.Model: features, standardisation, weights, training span, hold-out figures
);
CREATE INDEX ranking_models_kind_id ON ranking_models (kind, id DESC);

-- +goose Down
DROP TABLE ranking_models;
