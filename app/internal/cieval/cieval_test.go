package cieval

import (
	"context"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/cifailure/cifailuretest"
)

func testEngine(t *testing.T) *cifailure.Engine { return cifailuretest.Engine(t) }

func TestLogChunks(t *testing.T) {
	rep, err := LogChunks(context.Background(), testEngine(t), "testdata/logchunks", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := LogChunksReport{Examples: 2, Missing: 1, EvidenceRecall: 1, TopRecall: 1, Labelled: 2, CategoryTop1: 1}
	if *rep != want {
		t.Errorf("LogChunks = %+v; want %+v", *rep, want)
	}
}

func TestCIDiff(t *testing.T) {
	rep, err := CIDiff(context.Background(), testEngine(t), "testdata/cidiff", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Lines 3-5 are labelled; the engine proves line 3 only.
	want := CIDiffReport{Cases: 1, LineRecall: 1.0 / 3, CaseHit: 1}
	if *rep != want {
		t.Errorf("CIDiff = %+v; want %+v", *rep, want)
	}
}

func TestMissingCorpus(t *testing.T) {
	if _, err := LogChunks(context.Background(), testEngine(t), t.TempDir(), nil); err == nil {
		t.Error("LogChunks on an empty dir succeeded; want an error")
	}
	if _, err := CIDiff(context.Background(), testEngine(t), t.TempDir(), nil); err == nil {
		t.Error("CIDiff on an empty dir succeeded; want an error")
	}
}

func TestChunkCategory(t *testing.T) {
	tests := map[string]string{
		"--- FAIL: TestX (0.1s)":                    "test",
		"src/a.c:3: error: expected ';'":            "compile",
		"app.rb:3:1: C: Style/Foo offense detected": "lint",
		"npm ERR! 404 Not Found":                    "dependency",
		"something else entirely":                   "",
	}
	for chunk, want := range tests {
		if got := chunkCategory(chunk); got != want {
			t.Errorf("chunkCategory(%q) = %q; want %q", chunk, got, want)
		}
	}
}

func TestToLFLines(t *testing.T) {
	raw := []byte("a\r\nb\rc\nd\n")
	// Java lines: 1 a, 2 b, 3 c, 4 d. LF lines: 1 a, 2 "b\rc", 3 d.
	got := toLFLines(raw, map[int]bool{1: true, 3: true, 4: true})
	want := map[int]bool{1: true, 2: true, 3: true}
	if len(got) != len(want) || !got[1] || !got[2] || !got[3] {
		t.Errorf("toLFLines = %v; want %v", got, want)
	}
}

func TestLogChunksSplit(t *testing.T) {
	whole, tuning, heldOut, err := LogChunksSplit(context.Background(), testEngine(t), "testdata/logchunks", nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := LogChunks(context.Background(), testEngine(t), "testdata/logchunks", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *whole != *plain {
		t.Errorf("LogChunksSplit whole = %+v; LogChunks = %+v", *whole, *plain)
	}
	// The testdata's one repository is in one half; the other half is empty.
	in, empty := tuning, heldOut
	if RepoHalf("acme@app") == HalfHeldOut {
		in, empty = heldOut, tuning
	}
	if *in != *whole || empty.Examples != 0 || empty.Missing != 0 {
		t.Errorf("halves = %+v, %+v; want the whole report and an empty one", *in, *empty)
	}
}

func TestRepoHalf(t *testing.T) {
	// Deterministic, and both halves are used.
	seen := map[int]int{}
	for _, repo := range []string{"a@b", "c@d", "e@f", "g@h", "i@j", "k@l", "m@n", "o@p"} {
		h := RepoHalf(repo)
		if h != RepoHalf(repo) || (h != HalfTuning && h != HalfHeldOut) {
			t.Fatalf("RepoHalf(%q) = %d, unstable or out of range", repo, h)
		}
		seen[h]++
	}
	if len(seen) != 2 {
		t.Errorf("RepoHalf put 8 repositories in %v; want both halves used", seen)
	}
}
