package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// buildCIAgent builds the real binary, as deployed.
func buildCIAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ciagent")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe runs `ciagent serve` and returns its base URL once it listens.
func startServe(t *testing.T, bin string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The test may have stopped it already; then Kill and Wait report that, which is fine.
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && !sent {
				addr <- line.Addr
				sent = true
			}
			if testing.Verbose() {
				t.Logf("serve: %s", sc.Bytes())
			}
		}
		if !sent {
			close(addr)
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("ciagent serve exited before listening")
		}
		return cmd, "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("ciagent serve did not listen within a minute")
	}
	return nil, ""
}

// TestSIGKILLMidStream kills the service with SIGKILL in the middle of a stream of requests
// (after PostgreSQL became unreachable, so acknowledged events sit in the spool), restarts it
// against the database: every acknowledged id is in requests exactly once.
func TestSIGKILLMidStream(t *testing.T) {
	dbURL := pgtest.URL(t)
	proxy := pgtest.NewProxy(t, pgtest.Target(t, dbURL))
	bin := buildCIAgent(t)
	spool := t.TempDir()

	cmd, base := startServe(t, bin, "DATABASE_URL="+proxy.URL(t, dbURL), "CIAGENT_SPOOL_DIR="+spool)
	var (
		mu    sync.Mutex
		acked []uuid.UUID
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := client.Post(base+"/v1/ci/explain", "text/plain", bytes.NewReader([]byte("./main.go:3:2: undefined: x\n")))
				if err != nil {
					return // killed
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					continue
				}
				var ans struct{ ID string }
				if json.Unmarshal(body, &ans) != nil {
					continue
				}
				mu.Lock()
				acked = append(acked, uuid.MustParse(ans.ID))
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitFor := func(n int) {
		for deadline := time.Now().Add(60 * time.Second); count() < n && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(200)
	proxy.Down()
	waitFor(count() + 200)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed", as intended
	cancel()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no answer before the kill")
	}
	t.Logf("%d answers acknowledged before SIGKILL", len(acked))

	cmd2, _ := startServe(t, bin, "DATABASE_URL="+dbURL, "CIAGENT_SPOOL_DIR="+spool)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var rows, distinct int
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ids := make([][16]byte, len(acked))
		for i, id := range acked {
			ids[i] = id
		}
		if err := conn.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT id) FROM requests WHERE id = ANY($1)", ids).Scan(&rows, &distinct); err != nil {
			continue // not migrated yet is fine: the first run did it
		}
		if distinct == len(acked) {
			break
		}
	}
	if distinct != len(acked) || rows != len(acked) {
		t.Errorf("after SIGKILL and restart: %d rows for %d distinct of %d acknowledged ids; want each exactly once", rows, distinct, len(acked))
	}
	if err := cmd2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd2.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v; want a clean drain and exit 0", err)
	}
}
