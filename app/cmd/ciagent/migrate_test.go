package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// TestMigrateStatus: --status changes nothing and lists both migration sets; migrate applies
// them; a database a newer ciagent migrated is said to be so, and is not an error (a rolled
// back binary must still start and write).
func TestMigrateStatus(t *testing.T) {
	url := pgtest.URL(t)
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	ciagent := func(args ...string) (stdout, stderr string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, getenv, nil, &out, &errOut); err != nil {
			t.Fatalf("ciagent %s: %v (stderr %q)", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	versionTables := func() int {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT (to_regclass('goose_db_version') IS NOT NULL)::int + (to_regclass('ranking_goose_db_version') IS NOT NULL)::int`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	out, _ := ciagent("migrate", "--status")
	if !strings.Contains(out, "pipeline 00001 pending") || !strings.Contains(out, "ranking  00001 pending") || strings.Contains(out, "applied") {
		t.Errorf("--status on a fresh database:\n%s\nwant every migration of both sets pending", out)
	}
	if n := versionTables(); n != 0 {
		t.Errorf("--status created %d version tables; want it to change nothing", n)
	}

	if out, _ := ciagent("migrate"); !strings.Contains(out, "migrations applied") {
		t.Errorf("migrate printed %q", out)
	}
	out, _ = ciagent("migrate", "--status")
	if strings.Contains(out, "pending") || !strings.Contains(out, "pipeline 00001 applied") || !strings.Contains(out, "ranking  00001 applied") {
		t.Errorf("--status after migrate:\n%s\nwant every migration applied", out)
	}

	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)`); err != nil {
		t.Fatal(err)
	}
	out, _ = ciagent("migrate", "--status")
	if !strings.Contains(out, "pipeline 00999 applied by a newer ciagent") {
		t.Errorf("--status on a database a newer binary migrated:\n%s\nwant it said", out)
	}
	if _, errOut := ciagent("migrate"); !strings.Contains(errOut, "newer than this binary") {
		t.Errorf("migrate on a newer database: stderr %q; want a warning", errOut)
	}
}
