// Package cifailuretest gives other packages' tests an engine over the small knowledge base in
// cifailure/testdata/engine/kb (one cause per pattern form), so they do not depend on the
// built-in causes, which change as the knowledge base grows.
package cifailuretest

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

// Engine returns an engine over the test knowledge base.
func Engine(t testing.TB) *cifailure.Engine {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	causes, err := cifailure.LoadDir(filepath.Join(filepath.Dir(file), "..", "testdata", "engine", "kb"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cifailure.New(&cifailure.KB{Causes: causes}, cifailure.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}
