package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ci-agent/ci-agent/app/internal/pgconf"
	"github.com/ci-agent/ci-agent/app/internal/redact"
)

// Config is the pipeline's configuration. Zero values mean the defaults of DefaultConfig.
type Config struct {
	DatabaseURL   string        // empty: spool-only mode
	SpoolDir      string        // required
	SpoolMaxBytes int64         // the cap; Record fails with ErrSpoolFull beyond it
	SegmentBytes  int64         // a segment is sealed past this size
	Fsync         FsyncPolicy   // batch (default), interval or never
	FsyncInterval time.Duration // for FsyncInterval
	QueueEvents   int           // in-memory queue capacity, in events
	QueueBytes    int64         // and in (encoded) bytes
	BatchEvents   int           // most events in one write
	Writers       int           // batches written at once, each on its own connection
	FlushInterval time.Duration // a partial batch is written after this long
	MaxBackoff    time.Duration // longest wait between write attempts
	InputMode     InputMode     // how much input is stored
	InputBytes    int           // the excerpt's (or full input's) cap
	RetentionDays int           // day partitions older than this are dropped; 0 keeps all
	SkipMigrate   bool          // do not apply migrations at Open (someone ran `ciagent migrate`)

	// Tests shorten these; Open uses the defaults.
	firstBackoff  time.Duration // the first wait after a failed write
	recoveryProbe time.Duration // how often a writer waiting to retry pings the database
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		SpoolDir:      "spool",
		SpoolMaxBytes: 1 << 30,
		SegmentBytes:  16 << 20,
		Fsync:         FsyncBatch,
		FsyncInterval: 100 * time.Millisecond,
		QueueEvents:   16384,
		QueueBytes:    64 << 20,
		BatchEvents:   4096,
		Writers:       2,
		FlushInterval: 20 * time.Millisecond,
		MaxBackoff:    10 * time.Second,
		InputMode:     InputExcerpt,
		InputBytes:    16 << 10,
		RetentionDays: 30,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SpoolDir == "" {
		c.SpoolDir = d.SpoolDir
	}
	if c.SpoolMaxBytes <= 0 {
		c.SpoolMaxBytes = d.SpoolMaxBytes
	}
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = d.SegmentBytes
	}
	if c.Fsync == "" {
		c.Fsync = d.Fsync
	}
	if c.FsyncInterval <= 0 {
		c.FsyncInterval = d.FsyncInterval
	}
	if c.QueueEvents <= 0 {
		c.QueueEvents = d.QueueEvents
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = d.QueueBytes
	}
	if c.BatchEvents <= 0 {
		c.BatchEvents = d.BatchEvents
	}
	if c.Writers <= 0 {
		c.Writers = d.Writers
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = d.FlushInterval
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	if c.InputMode == "" {
		c.InputMode = d.InputMode
	}
	if c.InputBytes == 0 {
		c.InputBytes = d.InputBytes
	}
	if c.RetentionDays < 0 {
		c.RetentionDays = 0
	}
	if c.firstBackoff <= 0 {
		c.firstBackoff = 100 * time.Millisecond
	}
	if c.recoveryProbe <= 0 {
		c.recoveryProbe = time.Second
	}
	return c
}

// Pipeline records events: spool first, then PostgreSQL.
type Pipeline struct {
	cfg     Config
	logger  *slog.Logger
	spool   *spool
	metrics *metrics
	db      *pgxpool.Pool // lookups and maintenance; nil in spool-only mode
	writer  *pgWriter     // the first of writers; nil in spool-only mode
	writers []*pgWriter   // one connection each

	queue      chan queued // nil in spool-only mode
	queueBytes atomic.Int64
	// overflow is set, under the spool lock, when an event could not be queued: from
	// overflowFrom on, the writer reads the spool itself until it has caught up.
	overflow     bool
	overflowFrom uint64
	wake         chan struct{}

	pendMu sync.Mutex
	// pending holds, for each acknowledged request not yet committed, its client, kind and
	// repo and its propositions' cause ids and categories: all FindTarget needs. Not the event itself: that would keep
	// every spooled input in memory, so the heap would grow with the spool (up to its cap)
	// during an outage.
	pending map[uuid.UUID]pendingAnswer

	stop      chan struct{}      // Close was called: drain the queue, then end
	done      chan struct{}      // the writer has ended
	runCtx    context.Context    // cancelled when Close gives up waiting
	cancelRun context.CancelFunc // for runCtx
	started   bool
}

type pendingAnswer struct {
	client     string
	kind, repo string
	causes     []string
	categories []string // causes[i]'s category
}

type queued struct {
	item
	size int64
}

// Open opens (and replays) the spool, and in database mode applies the migrations and
// connects. Call Start to run the writer, and Close at the end.
func Open(ctx context.Context, cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Pipeline, error) {
	cfg = cfg.withDefaults()
	p := &Pipeline{
		cfg:     cfg,
		logger:  logger.With("component", "pipeline"),
		pending: map[uuid.UUID]pendingAnswer{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	p.runCtx, p.cancelRun = context.WithCancel(context.Background())
	if cfg.DatabaseURL != "" {
		w, err := newPGWriter(cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		p.writer = w
		p.writers = []*pgWriter{w}
		for range cfg.Writers - 1 {
			more, _ := newPGWriter(cfg.DatabaseURL)
			p.writers = append(p.writers, more)
		}
		if !cfg.SkipMigrate {
			mctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err := Migrate(mctx, cfg.DatabaseURL, p.logger)
			cancel()
			if err != nil {
				// An unreachable database must not stop the service: it spools, and the
				// writer migrates before its first write.
				p.logger.Warn("cannot apply migrations now; spooling until PostgreSQL is reachable", "err", err)
				for _, w := range p.writers {
					w.migrate = func(ctx context.Context) error { return Migrate(ctx, cfg.DatabaseURL, p.logger) }
				}
			}
		}
		pool, err := pgconf.NewPool(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		p.db = pool
		p.queue = make(chan queued, cfg.QueueEvents)
	}
	var firstSeq uint64
	sp, rep, err := openSpool(cfg.SpoolDir, cfg.SegmentBytes, cfg.SpoolMaxBytes, cfg.Fsync, p.logger, func(seq uint64, payload []byte) {
		if firstSeq == 0 {
			firstSeq = seq
		}
		if ev, err := decodeEvent(payload); err == nil {
			p.addPending(ev)
		}
	})
	if err != nil {
		p.closeDB()
		return nil, err
	}
	p.spool = sp
	p.metrics = newMetrics(p)
	if reg != nil {
		if err := p.metrics.register(reg); err != nil {
			sp.close()
			p.closeDB()
			return nil, fmt.Errorf("registering pipeline metrics: %w", err)
		}
	}
	p.metrics.corrupt.Add(float64(rep.BadRecords))
	for _, prob := range rep.Problems {
		p.logger.Warn("spool replay: corrupt data skipped", "problem", prob)
	}
	if rep.TornBytes > 0 {
		p.metrics.corrupt.Inc()
	}
	if firstSeq != 0 {
		// Replay: the writer reads the spool from its oldest record.
		p.overflow, p.overflowFrom = true, firstSeq
	}
	mode := "database"
	if p.writer == nil {
		mode = "spool-only"
		p.logger.Warn("spool-only mode: no DATABASE_URL, so events stay in the spool until a database is configured; at the spool cap the API answers 503",
			"spool_dir", cfg.SpoolDir, "spool_max_bytes", cfg.SpoolMaxBytes)
	}
	p.logger.Info("pipeline open", "mode", mode, "spool_dir", cfg.SpoolDir, "fsync", string(cfg.Fsync),
		"replay_records", rep.Records, "replay_segments", rep.Segments, "corrupt_records", rep.BadRecords, "torn_bytes", rep.TornBytes)
	return p, nil
}

// Start runs the writer and, in database mode, partition maintenance until Close.
func (p *Pipeline) Start() {
	if p.started {
		return
	}
	p.started = true
	if p.cfg.Fsync == FsyncInterval {
		go p.spool.syncLoop(p.stop, p.cfg.FsyncInterval)
	}
	if p.writer == nil {
		close(p.done)
		return
	}
	go p.maintain()
	go func() {
		defer close(p.done)
		p.run()
	}()
}

// Close stops the writer, giving it until ctx ends to write what is queued (the rest stays in
// the spool for the next start), and closes the spool and the database.
func (p *Pipeline) Close(ctx context.Context) error {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	if p.started {
		select {
		case <-p.done:
		case <-ctx.Done():
			p.logger.Warn("closing before the queue was written; the rest stays in the spool for the next start")
		}
		p.cancelRun()
		<-p.done
	}
	p.cancelRun()
	err := p.spool.close()
	p.closeDB()
	return err
}

func (p *Pipeline) closeDB() {
	if p.db != nil {
		p.db.Close()
	}
}

// SpoolOnly reports whether the pipeline runs without a database.
func (p *Pipeline) SpoolOnly() bool { return p.writer == nil }

// InputCapture returns a Capture configured for this pipeline's input mode.
func (p *Pipeline) InputCapture() *Capture { return NewCapture(p.cfg.InputMode, p.cfg.InputBytes) }

// RetryAfter is how long a client should wait after ErrSpoolFull.
func (p *Pipeline) RetryAfter() time.Duration { return 5 * time.Second }

// Record makes ev durable (per the fsync policy) and queues it for PostgreSQL. When it returns
// nil the request may be acknowledged; on ErrSpoolFull or any other error it must not be.
// Record redacts secrets in the input first. ev must not be changed after the call.
func (p *Pipeline) Record(ctx context.Context, ev *Event) error {
	if err := ev.validate(); err != nil {
		return err
	}
	ev.Input = redact.String(ev.Input)
	ev.Client, ev.Repo, ev.Outcome, ev.RankerVersion = cleanText(ev.Client), cleanText(redact.String(ev.Repo)), cleanText(ev.Outcome), cleanText(ev.RankerVersion)
	for k, v := range ev.Meta {
		ev.Meta[k] = cleanText(redact.String(v))
	}
	for i := range ev.Propositions {
		ev.Propositions[i].CauseID = cleanText(ev.Propositions[i].CauseID)
		ev.Propositions[i].Category = cleanText(ev.Propositions[i].Category)
	}
	if f := ev.Feedback; f != nil {
		f.CauseID, f.Actor = cleanText(f.CauseID), cleanText(f.Actor)
	}
	// The writer copies the record itself into PostgreSQL (copyBatch.add), from the queue as
	// from the spool: one encoding, read the same way on both paths.
	frame := encodeEvent(make([]byte, frameHeader, frameHeader+256+len(ev.Input)), ev)
	p.addPending(ev)
	it := item{id: ev.ID, feedback: ev.Kind == KindFeedback, rec: frame[frameHeader:]}
	seq, err := p.spool.append(frame, func(seq uint64) {
		it.seq = seq
		p.enqueue(queued{it, int64(len(it.rec))})
	})
	if err != nil {
		p.removePending([]item{it})
		reason := "error"
		if errors.Is(err, ErrSpoolFull) {
			reason = "spool_full"
		}
		p.metrics.rejected.WithLabelValues(reason).Inc()
		return err
	}
	if err := p.spool.waitDurable(seq); err != nil {
		p.metrics.rejected.WithLabelValues("error").Inc()
		return err
	}
	p.metrics.recorded.WithLabelValues(ev.Kind).Inc()
	return nil
}

// enqueue runs under the spool lock, in sequence order.
func (p *Pipeline) enqueue(q queued) {
	if p.queue == nil || p.overflow {
		return
	}
	if p.queueBytes.Load()+q.size <= p.cfg.QueueBytes {
		select {
		case p.queue <- q:
			p.queueBytes.Add(q.size)
			return
		default:
		}
	}
	// The event is safe in the spool; the writer will read it from there.
	p.overflow, p.overflowFrom = true, q.seq
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Pipeline) catchingUp() bool {
	p.spool.mu.Lock()
	defer p.spool.mu.Unlock()
	return p.overflow
}

func (p *Pipeline) addPending(ev *Event) {
	if ev.Kind == KindFeedback {
		return
	}
	// Clones, not views into a spool record or a decoded event.
	a := pendingAnswer{client: strings.Clone(ev.Client), kind: strings.Clone(ev.Kind), repo: strings.Clone(ev.Repo),
		causes: make([]string, len(ev.Propositions)), categories: make([]string, len(ev.Propositions))}
	for i, pr := range ev.Propositions {
		a.causes[i] = strings.Clone(pr.CauseID)
		a.categories[i] = strings.Clone(pr.Category)
	}
	p.pendMu.Lock()
	p.pending[ev.ID] = a
	p.pendMu.Unlock()
}

func (p *Pipeline) removePending(items []item) {
	p.pendMu.Lock()
	for _, it := range items {
		if !it.feedback {
			delete(p.pending, it.id)
		}
	}
	p.pendMu.Unlock()
}

// ErrNotFound means a feedback target (request, or cause of a request) is not known.
var ErrNotFound = errors.New("not found")

// ErrUnavailable means the database could not be asked.
var ErrUnavailable = errors.New("database unavailable")

// FindTarget checks that feedback about requestID (and causeID, unless empty) has something
// to be about: an acknowledged request, pending or committed, with that proposition, answered
// to client ("" accepts any client). It returns what the feedback should carry (Feedback's
// Target). An answer given to another client is not found, exactly as an unknown id is, and
// after the same wait: the answer does not tell that it exists.
func (p *Pipeline) FindTarget(ctx context.Context, requestID uuid.UUID, causeID, client string) (Target, error) {
	// Stored cause ids went through cleanText; a NUL byte would make PostgreSQL refuse the
	// query (22021), which would read as "database unavailable" and a 503 to retry forever.
	causeID = cleanText(causeID)
	answeredTo := func(c string) bool { return client == "" || c == client }
	p.pendMu.Lock()
	answer, ok := p.pending[requestID]
	p.pendMu.Unlock()
	if ok && answeredTo(answer.client) {
		if causeID == "" {
			return Target{Kind: answer.kind, Repo: answer.repo}, nil
		}
		if i := slices.Index(answer.causes, causeID); i >= 0 {
			return Target{Kind: answer.kind, Repo: answer.repo, Category: answer.categories[i]}, nil
		}
	}
	if p.db == nil || requestID.Version() != 7 {
		return Target{}, ErrNotFound
	}
	// Another replica may have answered the request a moment ago and not committed it yet:
	// its writer waits up to FlushInterval for a batch and may have a queue. A recent id is looked for again,
	// for up to recentWait, before it is called unknown (404 tells the client not to retry).
	deadline := time.Now().Add(recentWait)
	for {
		owner, target, found, err := p.committed(ctx, requestID, causeID)
		if err != nil {
			return Target{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if found && answeredTo(owner) {
			return target, nil
		}
		if age := time.Since(UUIDTime(requestID)); age > recentAge || age < -recentAge || !time.Now().Before(deadline) {
			return Target{}, ErrNotFound
		}
		select {
		case <-ctx.Done():
			return Target{}, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		case <-time.After(recentPoll):
		}
	}
}

// How FindTarget waits for a request another replica is committing: ids younger than
// recentAge are looked for every recentPoll for up to recentWait.
const (
	recentAge  = time.Minute
	recentWait = 2 * time.Second
	recentPoll = 100 * time.Millisecond
)

// The feedback target queries (TestHotQueriesUseIndexes checks their plans): the request by
// id, or the request with one of its propositions. Both read one partition's primary key.
const (
	targetRequestQuery     = `SELECT client, kind, repo FROM requests WHERE id = $1`
	targetPropositionQuery = `SELECT r.client, r.kind, r.repo, p.category FROM requests r
		JOIN propositions p ON p.request_id = $1 AND p.cause_id = $2
		WHERE r.id = $1 LIMIT 1`
)

// committed reports whether the database holds requestID (with the proposition causeID,
// unless empty), the client it was answered to, and the feedback's Target.
func (p *Pipeline) committed(ctx context.Context, requestID uuid.UUID, causeID string) (client string, target Target, found bool, err error) {
	if causeID == "" {
		err = p.db.QueryRow(ctx, targetRequestQuery, [16]byte(requestID)).Scan(&client, &target.Kind, &target.Repo)
	} else {
		err = p.db.QueryRow(ctx, targetPropositionQuery, [16]byte(requestID), causeID).Scan(&client, &target.Kind, &target.Repo, &target.Category)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return "", Target{}, false, nil
	}
	return client, target, err == nil, err
}

// Ping checks the database (nil in spool-only mode: the spool is what matters then).
func (p *Pipeline) Ping(ctx context.Context) error {
	if p.db == nil {
		return nil
	}
	return p.db.Ping(ctx)
}

// SpoolHealth fails once a write or fsync error has stopped the spool: it refuses every
// append until a restart rescans it (nothing unrecorded is ever acknowledged), so only a
// restart brings the replica back. /healthz runs it, so that the kubelet restarts the pod.
func (p *Pipeline) SpoolHealth(context.Context) error {
	if err := p.spool.failed(); err != nil {
		return fmt.Errorf("spool refuses writes until a restart: %w", err)
	}
	return nil
}

// SpoolCheck fails when the spool is at 90 % of its cap, so /readyz turns traffic away before
// the API has to answer 503.
func (p *Pipeline) SpoolCheck(ctx context.Context) error {
	if b := p.spool.bytes(); b >= p.cfg.SpoolMaxBytes*9/10 {
		return fmt.Errorf("spool nearly full: %d of %d bytes", b, p.cfg.SpoolMaxBytes)
	}
	return nil
}

// item is one event on its way to PostgreSQL: its spool record, and what the writer needs
// to know of it without reading the record.
type item struct {
	seq      uint64
	id       uuid.UUID
	feedback bool
	rec      []byte // encodeEvent's encoding
}

// run is the writer: queue (or spool, while catching up) → batches → PostgreSQL, with up to
// Config.Writers batches in flight on their own connections. Batches are released (their
// spool segments deleted) strictly in order, so a batch that commits early waits for those
// before it. After Close it writes what is queued and ends; events it does not reach stay in
// the spool.
func (p *Pipeline) run() {
	var cur *cursor
	idle := make(chan *pgWriter, len(p.writers))
	for _, w := range p.writers {
		idle <- w
	}
	var inflight []*writeJob // in sequence order
	var spare [][]byte       // arenas of released batches, for readSpool to reuse
	done := make(chan *writeJob, len(p.writers))
	// release drops the committed jobs at the front. It reports false once the front job
	// failed (Close gave up on it): nothing after it may be released.
	release := func() bool {
		for len(inflight) > 0 && inflight[0].state == jobCommitted {
			j := inflight[0]
			inflight = inflight[1:]
			p.removePending(j.batch)
			spare = append(spare, j.arenas...)
			if err := p.spool.release(j.batch[len(j.batch)-1].seq); err != nil {
				p.logger.Error("releasing spool segments", "err", err)
			}
		}
		return len(inflight) == 0 || inflight[0].state != jobFailed
	}
	defer func() {
		// Wait for the writes still running, and release what they committed in order.
		running := 0
		for _, j := range inflight {
			if j.state == jobRunning {
				running++
			}
		}
		for range running {
			(<-done).finish()
		}
		release()
		if cur != nil {
			cur.close()
		}
		for _, w := range p.writers {
			w.close()
		}
	}()
	for {
	absorb:
		for {
			select {
			case j := <-done:
				j.finish()
			default:
				break absorb
			}
		}
		if !release() {
			return // given up at Close: the rest stays in the spool
		}
		if len(inflight) >= len(p.writers) {
			(<-done).finish()
			continue
		}
		catchingUp := p.catchingUp()
		wait := 200 * time.Millisecond
		if catchingUp || p.stopping() {
			wait = 0
		} else if len(inflight) > 0 {
			wait = 5 * time.Millisecond // come back soon to release what commits
		}
		batch := p.collect(wait)
		var arenas [][]byte
		if len(batch) == 0 && catchingUp && !p.stopping() {
			if cur == nil {
				p.spool.mu.Lock()
				cur = &cursor{from: p.overflowFrom}
				p.spool.mu.Unlock()
			}
			var err error
			batch, arenas, err = p.readSpool(cur, &spare)
			if err != nil {
				p.logger.Error("reading the spool", "err", err)
				if p.sleep(time.Second) {
					return
				}
				continue
			}
			if len(batch) == 0 && p.spool.caughtUp(cur, func() { p.overflow = false }) {
				cur.close()
				cur = nil
				continue
			}
		}
		if len(batch) == 0 {
			if p.stopping() && len(inflight) == 0 {
				return
			}
			if len(inflight) > 0 && (catchingUp || p.stopping()) {
				(<-done).finish() // nothing to send: wait for a write rather than spin
			}
			continue
		}
		j := &writeJob{batch: batch, arenas: arenas}
		inflight = append(inflight, j)
		w := <-idle
		go func() {
			j.ok = p.writeWithRetry(p.runCtx, w, batch)
			idle <- w
			done <- j
		}()
	}
}

// writeJob is one batch on its way to PostgreSQL.
type writeJob struct {
	batch  []item
	arenas [][]byte // the memory the batch's records are in, when read from the spool
	ok     bool     // set by the writing goroutine before it reports on done
	state  int      // the dispatcher's view: jobRunning until finish
}

const (
	jobRunning = iota
	jobCommitted
	jobFailed
)

func (j *writeJob) finish() {
	j.state = jobFailed
	if j.ok {
		j.state = jobCommitted
	}
}

// collect takes a batch from the queue: it waits up to wait for a first event, then up to
// FlushInterval for the batch to fill.
func (p *Pipeline) collect(wait time.Duration) []item {
	var batch []item
	take := func(q queued) {
		p.queueBytes.Add(-q.size)
		if batch == nil {
			batch = make([]item, 0, min(p.cfg.BatchEvents, len(p.queue)+1))
		}
		batch = append(batch, q.item)
	}
	select {
	case q := <-p.queue:
		take(q)
	default:
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case q := <-p.queue:
			take(q)
		case <-p.wake:
		case <-p.stop:
		case <-t.C:
		}
		t.Stop()
		if len(batch) == 0 {
			return nil
		}
	}
	deadline := time.NewTimer(p.cfg.FlushInterval)
	defer deadline.Stop()
	for len(batch) < p.cfg.BatchEvents {
		select {
		case q := <-p.queue:
			take(q)
		case <-deadline.C:
			return batch
		}
	}
	return batch
}

// arenaBytes is the size of the arenas readSpool copies records into.
const arenaBytes = 1 << 20

// readSpool reads the next batch from the spool while catching up. It copies the records into
// arenas, reusing those of released batches (spare): fresh memory costs a page fault per 4 KiB
// on first touch, which the profile showed as about 1 µs per event.
func (p *Pipeline) readSpool(cur *cursor, spare *[][]byte) ([]item, [][]byte, error) {
	batch := make([]item, 0, p.cfg.BatchEvents)
	var arenas [][]byte
	var arena []byte
	_, err := p.spool.read(cur, p.cfg.BatchEvents, func(seq uint64, payload []byte) {
		id, feedback, err := recordHeader(payload)
		if err != nil {
			p.logger.Error("spool record is not an event; skipped", "seq", seq, "err", err)
			return
		}
		if len(arena)+len(payload) > cap(arena) {
			switch n := len(*spare); {
			case len(payload) > arenaBytes:
				arena = make([]byte, 0, len(payload)) // not kept
			case n > 0:
				arena, *spare = (*spare)[n-1][:0], (*spare)[:n-1]
				arenas = append(arenas, arena)
			default:
				arena = make([]byte, 0, arenaBytes)
				arenas = append(arenas, arena)
			}
		}
		arena = append(arena, payload...)
		batch = append(batch, item{seq: seq, id: id, feedback: feedback, rec: arena[len(arena)-len(payload) : len(arena) : len(arena)]})
	})
	p.metrics.replayed.Add(float64(len(batch)))
	return batch, arenas, err
}

// writeWithRetry writes a batch until it is committed, with exponential backoff. A batch that
// PostgreSQL refuses as data is split until the refused event is alone; that one is logged and
// dropped, so one bad event cannot stop the pipeline. It returns false when ctx ends first.
func (p *Pipeline) writeWithRetry(ctx context.Context, w *pgWriter, batch []item) bool {
	backoff := p.cfg.firstBackoff
	outage := false
	for {
		start := time.Now()
		rows, err := w.write(ctx, batch)
		if err == nil {
			p.metrics.writeTime.Observe(time.Since(start).Seconds())
			p.metrics.batchSize.Observe(float64(len(batch)))
			for table, n := range rows {
				p.metrics.rows.WithLabelValues(table).Add(float64(n))
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		p.metrics.writeErrors.Inc()
		if permanent(err) {
			if len(batch) > 1 {
				half := len(batch) / 2
				return p.writeWithRetry(ctx, w, batch[:half]) && p.writeWithRetry(ctx, w, batch[half:])
			}
			p.metrics.dropped.Inc()
			p.logger.Error("PostgreSQL refused an event; dropped", "id", batch[0].id, "feedback", batch[0].feedback, "err", err)
			return true
		}
		p.metrics.retries.Inc()
		p.logger.Warn("writing a batch failed; retrying", "events", len(batch), "backoff", backoff.String(), "err", err)
		if lostConnection(err) {
			outage = true // PostgreSQL is away, not refusing this batch
		}
		d := backoff/2 + rand.N(backoff/2+1) // #nosec G404 -- jitter: replicas must not retry in step; nothing secret
		recovered, ok := p.waitToRetry(ctx, d, &outage)
		if !ok {
			return false
		}
		if recovered {
			p.logger.Info("PostgreSQL answers again; retrying the batch now", "events", len(batch))
			backoff, outage = p.cfg.firstBackoff, false
			continue
		}
		backoff = min(backoff*2, p.cfg.MaxBackoff)
	}
}

// waitToRetry waits d before the next write attempt, but not longer than PostgreSQL takes to
// answer again. A writer that backed off towards MaxBackoff during an outage would otherwise
// leave the spool filling, and the API answering 503 once it is full, for up to MaxBackoff
// after the database is back. So while it waits it pings every recoveryProbe, and it returns
// early (recovered) when a ping succeeds during an outage: a write failed for want of a
// connection (lostConnection), or a ping failed, in this retry sequence. A database that
// answers but refuses the batch (a lock, a full disk) keeps the backoff. ok is false when ctx
// ended.
func (p *Pipeline) waitToRetry(ctx context.Context, d time.Duration, outage *bool) (recovered, ok bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	var probe <-chan time.Time
	if p.db != nil && d > p.cfg.recoveryProbe {
		tick := time.NewTicker(p.cfg.recoveryProbe)
		defer tick.Stop()
		probe = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return false, false
		case <-t.C:
			return false, true
		case <-probe:
			pctx, cancel := context.WithTimeout(ctx, p.cfg.recoveryProbe)
			err := p.db.Ping(pctx)
			cancel()
			if err != nil {
				*outage = true
			} else if *outage {
				return true, true
			}
		}
	}
}

// maintain keeps today's and tomorrow's partitions ready and drops those past retention,
// at start and then hourly.
func (p *Pipeline) maintain() {
	for {
		ctx, cancel := context.WithTimeout(p.runCtx, time.Minute)
		if err := p.Maintain(ctx, time.Now()); err != nil && p.runCtx.Err() == nil {
			p.logger.Warn("partition maintenance failed; will retry", "err", err)
		}
		cancel()
		select {
		case <-p.stop:
			return
		case <-time.After(time.Hour):
		}
	}
}

// Maintain creates the partitions of now's day and the next, and drops those older than the
// retention.
func (p *Pipeline) Maintain(ctx context.Context, now time.Time) error {
	if p.db == nil {
		return nil
	}
	for _, t := range []time.Time{now, now.Add(24 * time.Hour)} {
		if err := ensurePartition(ctx, p.db, t); err != nil {
			return err
		}
	}
	if p.cfg.RetentionDays == 0 {
		return nil
	}
	day, _, _ := dayBounds(now)
	dropped, err := dropPartitionsBefore(ctx, p.db, day.AddDate(0, 0, -p.cfg.RetentionDays))
	if len(dropped) > 0 {
		p.logger.Info("retention: dropped old partitions", "partitions", dropped, "retention_days", p.cfg.RetentionDays)
	}
	return err
}

func (p *Pipeline) stopping() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// sleep waits d; it reports true when the pipeline is stopping.
func (p *Pipeline) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.stop:
		return true
	case <-t.C:
		return false
	}
}

// writerPIDs are the writers' PostgreSQL backend process ids, for benchmarks.
func (p *Pipeline) writerPIDs() []uint32 {
	var pids []uint32
	for _, w := range p.writers {
		if w.conn != nil {
			pids = append(pids, w.conn.PgConn().PID())
		}
	}
	return pids
}
