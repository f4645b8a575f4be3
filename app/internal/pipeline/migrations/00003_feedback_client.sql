-- The API key (client) that sent each piece of feedback. actor is what the client says (it
-- defaults to the key's name), so without the key feedback cannot be attributed or audited, and
-- one key can vote as many actors. The writer fills it from the feedback event's Client.
-- Rows written before stay NULL: nothing recorded which key sent them. A server without API keys
-- has no client either, and writes NULL too.
--
-- Nullable and without a default, the ADD COLUMN is a catalog change: no table rewrite, only a
-- brief lock. The previous release's writer names its columns (COPY and INSERT), so after a
-- rollback it keeps writing feedback, with client NULL.

-- +goose Up
ALTER TABLE feedback ADD COLUMN client text; -- the API key's name, as requests.client

-- +goose Down
ALTER TABLE feedback DROP COLUMN client;
