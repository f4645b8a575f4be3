package pgconf_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/pgconf"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// passfileURL is base without its password, reading it from a passfile that holds password.
func passfileURL(t *testing.T, base, password string) (string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "pgpass")
	writePassfile(t, file, password)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(u.User.Username())
	q := u.Query()
	q.Set("passfile", file)
	u.RawQuery = q.Encode()
	return u.String(), file
}

func writePassfile(t *testing.T, file, password string) {
	t.Helper()
	if err := os.WriteFile(file, []byte("*:*:*:*:"+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A pool's new connections read the passfile as it is then: a rotated password (External
// Secrets rewrote the mounted file) is used without a restart.
func TestPoolReadsThePassfileForEachConnection(t *testing.T) {
	dbURL, file := passfileURL(t, "postgres://ciagent@db.internal:5432/ciagent", "before-rotation")
	cfg, err := pgconf.Pool(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.Password != "before-rotation" {
		t.Fatalf("parsed password %q; want the passfile's", cfg.ConnConfig.Password)
	}
	writePassfile(t, file, "after-rotation")
	cc := cfg.ConnConfig.Copy()
	if err := cfg.BeforeConnect(context.Background(), cc); err != nil {
		t.Fatal(err)
	}
	if cc.Password != "after-rotation" {
		t.Errorf("a new connection's password %q; want the rewritten passfile's", cc.Password)
	}
	// A URL with its own password keeps it.
	cfg, err = pgconf.Pool("postgres://u:inline@db.internal/x")
	if err != nil {
		t.Fatal(err)
	}
	cc = cfg.ConnConfig.Copy()
	if err := cfg.BeforeConnect(context.Background(), cc); err != nil || cc.Password != "inline" {
		t.Errorf("inline password after BeforeConnect = %q, %v; want inline", cc.Password, err)
	}
}

// The same over a real connection: a pool of a passfile URL reaches the test PostgreSQL, also
// after the file changed (the test server may not check passwords; the parse path is what
// this covers: a passfile parameter the driver did not know would fail here).
func TestPoolConnectsWithAPassfileURL(t *testing.T) {
	dbURL, file := passfileURL(t, pgtest.URL(t), "first")
	pool, err := pgconf.NewPool(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatalf("ping through a passfile URL: %v", err)
	}
	writePassfile(t, file, "second")
	pool.Reset() // close idle connections: the next one is new
	if err := pool.Ping(context.Background()); err != nil {
		t.Errorf("ping after the passfile changed: %v", err)
	}
}

func TestBadURL(t *testing.T) {
	if _, err := pgconf.Pool("postgres://%zz"); err == nil {
		t.Error("Pool(a malformed URL) = nil error")
	}
}
