package answercache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/redisconn/redistest"
)

func testCache(t *testing.T, ttl time.Duration) *Cache {
	t.Helper()
	return New(redistest.Client(t), ttl)
}

func TestGetSet(t *testing.T) {
	c := testCache(t, time.Minute)
	ctx := context.Background()
	key := Key("explain", "kb1", []byte(t.Name()+time.Now().String()))
	if _, ok, err := c.Get(ctx, key); ok || err != nil {
		t.Fatalf("Get(new key) = ok %v, err %v; want a clean miss", ok, err)
	}
	if err := c.Set(ctx, key, []byte(`{"category":"compile"}`)); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(ctx, key)
	if err != nil || !ok || string(got) != `{"category":"compile"}` {
		t.Errorf("Get after Set = %q, %v, %v; want the value", got, ok, err)
	}
	ttl, err := c.rdb.TTL(ctx, key).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL = %v, %v; want (0, 1m]", ttl, err)
	}
}

func TestSetSkipsHugeValues(t *testing.T) {
	c := testCache(t, time.Minute)
	ctx := context.Background()
	key := Key("explain", "kb1", []byte("huge "+time.Now().String()))
	if err := c.Set(ctx, key, []byte(strings.Repeat("x", maxValue+1))); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, key); ok {
		t.Error("a value over 1 MiB was cached; want it skipped")
	}
}

func TestDefaultTTL(t *testing.T) {
	if c := New(nil, 0); c.ttl != DefaultTTL {
		t.Errorf("New(_, 0).ttl = %v; want DefaultTTL", c.ttl)
	}
}

func TestKey(t *testing.T) {
	a := Key("explain", "kb1", []byte("log"))
	if a != Key("explain", "kb1", []byte("log")) {
		t.Error("Key is not deterministic")
	}
	for _, other := range []string{Key("explain", "kb2", []byte("log")), Key("explain", "kb1", []byte("log2")), Key("spam", "kb1", []byte("log"))} {
		if other == a {
			t.Errorf("Key collides: %s", a)
		}
	}
}

// TestKeyNamesTheBuild: a new release reads the same knowledge base with new code, so its keys
// differ from the old release's even when the knowledge base does not change.
func TestKeyNamesTheBuild(t *testing.T) {
	digest, err := BuildID()
	if err != nil || len(digest) != 12 || strings.Trim(digest, "0123456789abcdef") != "" {
		t.Fatalf("BuildID() = %q, %v; want 12 hex digits of the test binary", digest, err)
	}
	if !strings.Contains(Key("explain", "kb1", []byte("log")), ":"+digest+":") {
		t.Errorf("Key %s does not name the build %s", Key("explain", "kb1", []byte("log")), digest)
	}
	old := buildID
	t.Cleanup(func() { buildID = old })
	buildID = func() (string, error) { return "release1", nil }
	first := Key("explain", "kb1", []byte("log"))
	buildID = func() (string, error) { return "release2", nil }
	if second := Key("explain", "kb1", []byte("log")); second == first {
		t.Errorf("Key is %s under two builds; want different keys", first)
	}
	// A binary that cannot be read gives keys of this process alone, not a name shared by
	// every release that cannot read its binary either.
	buildID = func() (string, error) { return "", errors.New("no /proc") }
	if k := Key("explain", "kb1", []byte("log")); !strings.Contains(k, ":"+processID+":") || processID == "" {
		t.Errorf("Key %s without a readable binary; want this process's id %q in it", k, processID)
	}
}

// The digest is of the file the process runs, even after another file was renamed over its
// path (a new release installed in place): /proc/self/exe still opens the running one.
func TestExecutableDigestReadsTheRunningFile(t *testing.T) {
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("no /proc on this system: os.Executable is the fallback")
	}
	if executablePath() != "/proc/self/exe" {
		t.Errorf("executablePath() = %q; want /proc/self/exe", executablePath())
	}
	if _, err := executableDigest(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("executableDigest of a missing file: no error")
	}
}
