package cifailure

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, raw, want string
		kind            lineKind
	}{
		{"plain", "error: x\n", "error: x", lineText},
		{"crlf", "error: x\r\n", "error: x", lineText},
		{"ansi colour", "\x1b[31;1mERROR\x1b[0m: boom", "ERROR: boom", lineText},
		{"osc hyperlink", "see \x1b]8;;http://x\x07link\x1b]8;;\x07 now", "see link now", lineText},
		{"progress frames", "10%\r50%\r100%", "100%", lineText},
		{"trailing empty frame", "done\r\x1b[0K", "done", lineText},
		{"gha timestamp", "2024-05-01T10:00:00.1234567Z npm ERR! code E404", "npm ERR! code E404", lineText},
		{"gh run view columns", "build\tRun tests\t2021-12-01T13:01:04.3807878Z FooTest > bar() FAILED", "FooTest > bar() FAILED", lineText},
		{"tabs without a timestamp stay", "a\tb\tc", "a\tb\tc", lineText},
		{"gha error marker", "2024-05-01T10:00:00.1234567Z ##[error]Process completed with exit code 1.", "Process completed with exit code 1.", lineCIError},
		{"gha group", "##[group]Run npm ci", "Run npm ci", lineText},
		{"gha endgroup", "##[endgroup]", "", lineFraming},
		{"gha workflow command", "::error file=a.go,line=3::undefined: x", "undefined: x", lineCIError},
		{"gitlab section", "section_start:1700000000:build_script\r\x1b[0KExecuting \"step_script\" stage", "Executing \"step_script\" stage", lineText},
		{"gitlab section end only", "section_end:1700000000:build_script\r\x1b[0K", "", lineFraming},
		{"gitlab timestamp stream", "2024-05-01T10:00:00.123456Z 01E+ fatal: boom", "fatal: boom", lineText},
		{"gitlab job failed", "ERROR: Job failed: exit code 1", "ERROR: Job failed: exit code 1", lineCIError},
		{"jenkins pipeline", "[Pipeline] sh", "sh", lineFraming},
		{"jenkins timestamper", "[2024-05-01T10:00:00.123Z] BUILD FAILURE", "BUILD FAILURE", lineText},
		{"travis fold", "travis_fold:start:install\r\x1b[0K", "", lineFraming},
		{"travis timer glued to output", "travis_time:end:2f5a:start=1,finish=2,duration=3\x1b[0K\x1b[31;1mThe command \"make test\" exited with 2.\x1b[0m", "The command \"make test\" exited with 2.", lineCIError},
		{"travis timer alone", "travis_time:start:2f5aa4b0", "", lineFraming},
		{"travis done", "Done. Your build exited with 1.", "Done. Your build exited with 1.", lineCIError},
		{"not a timestamp", "2024 was a good year for builds", "2024 was a good year for builds", lineText},
		{"charset designation", "test a::c ... FAILED\x1b(B\x1b[m", "test a::c ... FAILED", lineText},
		{"lone escape at end", "oops\x1b", "oops", lineText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n normalizer
			got, kind := n.normalize([]byte(tc.raw))
			if string(got) != tc.want || kind != tc.kind {
				t.Errorf("normalize(%q) = %q, kind %d; want %q, kind %d", tc.raw, got, kind, tc.want, tc.kind)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"\x1b[31mERROR\x1b[0m", "2024-05-01T10:00:00Z x", "##[error]x", "::error::y", "a\rb\r", "\x1b]8;;", "[2024-05-01T10:00:00Z"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var n normalizer
		got, _ := n.normalize(raw)
		if len(got) > len(raw) {
			t.Fatalf("normalize grew %q to %q", raw, got)
		}
	})
}
