-- Feedback outlives the requests it is about: it is the ranking feeder's training data, and its
-- per-repository acceptance history. Retention drops a day's requests and propositions, and with
-- them the kind, repository and category that history groups feedback by. Just before a day is
-- dropped, its feedback rows get those three copied here (dropPartitionsBefore); until then they
-- are NULL and read from the request. (Since spool version 2 the writer fills them with the
-- feedback itself, and the copy serves the rows written before.)

-- +goose Up
ALTER TABLE feedback
	ADD COLUMN kind     text, -- the request's kind, once its partition is gone
	ADD COLUMN repo     text, -- the request's repo, likewise
	ADD COLUMN category text; -- the proposition's category (NULL: the whole answer, or none)

-- +goose Down
ALTER TABLE feedback DROP COLUMN kind, DROP COLUMN repo, DROP COLUMN category;
