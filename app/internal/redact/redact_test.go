package redact

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// TestFixtures runs every testdata/*.log through String and compares with its .golden file.
// Each fixture is named after the kind of secret it carries (clean.log carries none), so the
// test also checks that the kind was found and that no fixture secret survives.
func TestFixtures(t *testing.T) {
	logs := fixturePaths(t)
	seen := map[string]bool{}
	for _, path := range logs {
		kind := strings.TrimSuffix(filepath.Base(path), ".log")
		t.Run(kind, func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, found := Count(string(in))
			golden := strings.TrimSuffix(path, ".log") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("String(%s) =\n%s\nwant\n%s", path, got, want)
			}
			if kind == "clean" {
				if len(found) != 0 {
					t.Errorf("String(%s) found %v; want nothing", path, found)
				}
				return
			}
			seen[kind] = true
			if found[kind] == 0 {
				t.Errorf("String(%s) found %v; want at least one %s", path, found, kind)
			}
			if !strings.Contains(got, Marker(kind)) {
				t.Errorf("String(%s) has no %s marker", path, Marker(kind))
			}
			if again := String(got); again != got {
				t.Errorf("String(String(%s)) changed the text again:\n%s", path, again)
			}
		})
	}
	for _, kind := range Kinds() {
		if kind == "slack_webhook" || kind == "aws_secret_key" {
			continue // they share the slack_token and aws fixtures
		}
		if !seen[kind] {
			t.Errorf("no testdata/%s.log fixture for kind %s", kind, kind)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no secret", "error: exit status 1", "error: exit status 1"},
		{"aws key alone", "AKIAQWERTYUIOPASDFGH", "[REDACTED:aws_access_key]"},
		{"aws key in a longer word", "XAKIAQWERTYUIOPASDFGHX", "XAKIAQWERTYUIOPASDFGHX"},
		{"url user kept", "https://bob:hunter2@example.com/x", "https://bob:[REDACTED:url_password]@example.com/x"},
		{"url without password", "https://bob@example.com/x", "https://bob@example.com/x"},
		{"token in url counted once", "https://x:ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@github.com", "https://x:[REDACTED:github_token]@github.com"},
		{"secret key keeps its name", "aws_secret_access_key=abcdefghijABCDEFGHIJ0123456789/+abcdefgh", "aws_secret_access_key=[REDACTED:aws_secret_key]"},
		{"key without end", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\nnext line", "[REDACTED:private_key]\nnext line"},
		{"key without begin", "Nf3YXxR0aW9uIHBhc3N3b3Jk\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\nAAA=\n-----END OPENSSH PRIVATE KEY-----\nnext line", "[REDACTED:private_key]\nnext line"},
		{"key without begin after prose", "deploy failed: bad key\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END RSA PRIVATE KEY-----", "deploy failed: bad [REDACTED:private_key]"},
		{"invalid utf-8", "\xff\xfeAKIAQWERTYUIOPASDFGH\xff", "\xff\xfe[REDACTED:aws_access_key]\xff"},
		{"curl -u", "curl -u admin:CtxPassw0rd99 https://x", "curl -u admin:[REDACTED:password] https://x"},
		{"curl -u attached", "curl -uadmin:pw https://x", "curl -uadmin:[REDACTED:password] https://x"},
		{"curl -u bundled", "curl -fsSLu admin:pw https://x", "curl -fsSLu admin:[REDACTED:password] https://x"},
		{"curl --user", "curl --user deploy:UserPassw0rd77 https://x", "curl --user deploy:[REDACTED:password] https://x"},
		{"curl --user=", "curl --user=deploy:pw https://x", "curl --user=deploy:[REDACTED:password] https://x"},
		{"curl -u quoted", `curl -u 'admin:Passw0rd' x`, `curl -u 'admin:[REDACTED:password]' x`},
		{"curl --proxy-user", "curl --proxy-user px:Pr0xyPw https://x", "curl --proxy-user px:[REDACTED:password] https://x"},
		{"curl -u password with colon", "curl -u admin:a:b https://x", "curl -u admin:[REDACTED:password] https://x"},
		{"curl -u variables", `curl -u "$USER:$TOKEN" https://x`, `curl -u "$USER:$TOKEN" https://x`},
		{"curl -u after a token marker", "curl -u ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:x-oauth-basic https://x", "curl -u [REDACTED:github_token]:x-oauth-basic https://x"},
		{"curl -u without password", "curl -u admin https://x:8443/", "curl -u admin https://x:8443/"},
		{"curl --user-agent", "curl --user-agent=ua:1 https://x", "curl --user-agent=ua:1 https://x"},
		{"curl -d is not -u", "curl -dusername:x https://x", "curl -dusername:x https://x"},
		{"sort -u", "sort -u a:b", "sort -u a:b"},
		{"git log -u", "git log -u HEAD:go.mod", "git log -u HEAD:go.mod"},
		{"sort -u after curl and &&", "curl https://x && sort -u a:b", "curl https://x && sort -u a:b"},
		{"sort -u after curl and a pipe", "curl https://x | sort -u a:b", "curl https://x | sort -u a:b"},
		{"curl -u after & in a url", "curl 'https://x?a=1&b=2' -u u:Passw0rd", "curl 'https://x?a=1&b=2' -u u:[REDACTED:password]"},
		{"curl -u after & in an unquoted url", "curl https://x?a=1&b=2 -u u:Passw0rd", "curl https://x?a=1&b=2 -u u:[REDACTED:password]"},
		{"curl -u after operators in quotes", `curl -d 'a&&b|c;d & e' -u u:Passw0rd x`, `curl -d 'a&&b|c;d & e' -u u:[REDACTED:password] x`},
		{"curl -u after an escaped quote", `curl -H "X: \"q" -u u:Passw0rd x`, `curl -H "X: \"q" -u u:[REDACTED:password] x`},
		{"sort -u after curl and &", "curl https://x & sort -u a:b", "curl https://x & sort -u a:b"},
		{"sort -u after curl in the background", "curl https://x >/dev/null 2>&1 & sort -u a:b", "curl https://x >/dev/null 2>&1 & sort -u a:b"},
		{"sort -u after curl and ;", "curl https://x; sort -u a:b", "curl https://x; sort -u a:b"},
		{"sort -u after curl and ||", "curl https://x || sort -u a:b", "curl https://x || sort -u a:b"},
		{"-u inside a quoted curl argument", `curl -d 'sort -u a:b' https://x`, `curl -d 'sort -u a:b' https://x`},
		{"curl -u quoted with a space", `curl -u 'user:pa ss' https://x`, `curl -u 'user:[REDACTED:password]' https://x`},
		{"curl --user double-quoted with a space", `curl --user "user:pa ss" https://x`, `curl --user "user:[REDACTED:password]" https://x`},
		{"curl --user= quoted with a space", `curl --user='user:pa ss' https://x`, `curl --user='user:[REDACTED:password]' https://x`},
		{"curl --user= double-quoted with a space", `curl --user="user:pa ss" https://x`, `curl --user="user:[REDACTED:password]" https://x`},
		{"curl -u quoted with an escaped quote", `curl -u "user:pa\" ss" https://x`, `curl -u "user:[REDACTED:password]" https://x`},
		{"curl -u quoted, other quote inside", `curl -u "user:it's a pw" https://x`, `curl -u "user:[REDACTED:password]" https://x`},
		{"curl -u quoted, unclosed", `curl -u 'user:pa ss https://x`, `curl -u 'user:[REDACTED:password]`},
		{"curl -u password quoted after the user", `curl -u user:'pa ss' https://x`, `curl -u user:[REDACTED:password] https://x`},
		{"curl -u password quoted, unclosed", `curl -u user:"pa ss https://x`, `curl -u user:[REDACTED:password]`},
		{"curl -u quoted without password", `curl -u 'admin' https://x:8443/`, `curl -u 'admin' https://x:8443/`},
		{"curl -u quoted variable without password", `curl -u "$CREDS" -H 'Accept: a:b' https://x`, `curl -u "$CREDS" -H 'Accept: a:b' https://x`},
		{"curl -u xtrace-quoted apostrophe", `curl -u 'user:pa'\''ss word' https://x`, `curl -u [REDACTED:password] https://x`},
		{"curl -u double-quoted then unquoted", `curl -u "user:pass"word https://x`, `curl -u [REDACTED:password] https://x`},
		{"curl -u quoted then quoted", `curl -u 'user:pa'"ss w"o'rd' https://x`, `curl -u [REDACTED:password] https://x`},
		{"curl -u quoted then escaped space", `curl -u 'user:pa'\ ss https://x`, `curl -u [REDACTED:password] https://x`},
		{"curl -u double-quoted with an escape, then more", `curl -u "u:p\"q"r -d 'sort -u a:b' x`, `curl -u [REDACTED:password] -d 'sort -u a:b' x`},
		{"curl -u quoted, closed, next argument", `curl -u 'user:pw' -H 'a: b' https://x`, `curl -u 'user:[REDACTED:password]' -H 'a: b' https://x`},
		{"skopeo --creds xtrace-quoted apostrophe", `skopeo copy --creds 'ci:pa'\''ss word' docker://a`, `skopeo copy --creds [REDACTED:password] docker://a`},
		{"curl -U and -u", "curl -U proxy:ProxyPw1 -u user:UserPw22 https://x", "curl -U proxy:[REDACTED:password] -u user:[REDACTED:password] https://x"},
		{"curl --proxy-user and --user", "curl --proxy-user p:x --user u:y https://x", "curl --proxy-user p:[REDACTED:password] --user u:[REDACTED:password] https://x"},
		{"curl -u twice, quoted and not", `curl -u 'a:b c' -d 'x' --user=d:e -U "f:g h" https://x`, `curl -u 'a:[REDACTED:password]' -d 'x' --user=d:[REDACTED:password] -U "f:[REDACTED:password]" https://x`},
		{"curl -u without password, then -U", "curl -u admin -U p:Pw1 -u u:Pw2 https://x", "curl -u admin -U p:[REDACTED:password] -u u:[REDACTED:password] https://x"},
		{"curl -U xtrace-quoted, then -u", `curl -U 'p:a'\''b' -u u:Pw2 https://x`, `curl -U [REDACTED:password] -u u:[REDACTED:password] https://x`},
		{"two curls on a line", "curl -U p:Pw1 -u u:Pw2 x && curl -u v:Pw3 --proxy-user q:Pw4 y", "curl -U p:[REDACTED:password] -u u:[REDACTED:password] x && curl -u v:[REDACTED:password] --proxy-user q:[REDACTED:password] y"},
		{"sort -u after curl -u and &", "curl -u u:Pw1 https://x & sort -u a:b", "curl -u u:[REDACTED:password] https://x & sort -u a:b"},
		{"sort -u after curl -u and a pipe", "curl -u u:Pw1 https://x | sort -u a:b", "curl -u u:[REDACTED:password] https://x | sort -u a:b"},
		{"-u inside a quoted argument after curl -u", `curl -U p:Pw1 -d 'sort -u a:b' https://x`, `curl -U p:[REDACTED:password] -d 'sort -u a:b' https://x`},
		{"set -u after curl -u", "curl -u u:Pw1 x; set -u a:b", "curl -u u:[REDACTED:password] x; set -u a:b"},
		{"git log -u after curl -u", "curl -u u:Pw1 x && git log -u HEAD:x", "curl -u u:[REDACTED:password] x && git log -u HEAD:x"},
		{"curl -u on the next line", "curl -u u:Pw1 x\nsort -u a:b", "curl -u u:[REDACTED:password] x\nsort -u a:b"},
		{"sshpass -p", "sshpass -p SshPassw0rd55 ssh host", "sshpass -p [REDACTED:password] ssh host"},
		{"sshpass -p attached", "sshpass -pSshPassw0rd55 ssh host", "sshpass -p[REDACTED:password] ssh host"},
		{"sshpass -p after options", "sshpass -v -P assword -p pw ssh host", "sshpass -v -P assword -p [REDACTED:password] ssh host"},
		{"ssh -p after sshpass -e", "sshpass -e ssh -p 2222 host", "sshpass -e ssh -p 2222 host"},
		{"sshpass -f", "sshpass -f /run/pw ssh -p 2222 host", "sshpass -f /run/pw ssh -p 2222 host"},
		{"here-string password", "docker login --password-stdin <<< DockerStdinPw44", "docker login --password-stdin <<< [REDACTED:password]"},
		{"here-string quoted", `docker login -u ci --password-stdin r.io <<<'Dock er'`, `docker login -u ci --password-stdin r.io <<<[REDACTED:password]`},
		{"password-stdin from a variable", `echo "$X" | docker login --password-stdin`, `echo "$X" | docker login --password-stdin`},
		{"here-string of another command", "grep x <<< DockerStdinPw44", "grep x <<< DockerStdinPw44"},
		{"here-string after docker login and &", "docker login --password-stdin r.io & grep x <<< NotAPassw0rd", "docker login --password-stdin r.io & grep x <<< NotAPassw0rd"},
		{"here-string quoted, unclosed", "docker login --password-stdin r.io <<< 'Dock er", "docker login --password-stdin r.io <<< [REDACTED:password]"},
		{"sshpass -p quoted with a space", "sshpass -p 'ssh pw' ssh host", "sshpass -p [REDACTED:password] ssh host"},
		{"X-API-Key header", "curl -H 'X-API-Key: 9f8e7d6c5b4a39281706' x", "curl -H 'X-API-Key: [REDACTED:authorization]' x"},
		{"X-Auth-Token header", "X-Auth-Token: 9f8e7d6c5b4a39281706", "X-Auth-Token: [REDACTED:authorization]"},
		{"X-API-Key in prose", "error: X-API-Key: header missing", "error: X-API-Key: header missing"},
		{"X-API-Key as a placeholder", "X-API-Key: ${{ secrets.API_KEY }}", "X-API-Key: ${{ secrets.API_KEY }}"},
		{"Authorization token", "Authorization: token 9f8e7d6c5b4a39281706", "Authorization: token [REDACTED:authorization]"},
		{"azure account key", "AccountName=x;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFy==;EndpointSuffix=core.windows.net", "AccountName=x;AccountKey=[REDACTED:azure_key];EndpointSuffix=core.windows.net"},
		{"azure sas sig", "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=abcdEFGH1234%2Bxyz%3D", "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=[REDACTED:azure_key]"},
		{"azure key name only", "SharedAccessKeyName=RootManageSharedAccessKey", "SharedAccessKeyName=RootManageSharedAccessKey"},
		{"openai project key", "OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7CD0EF3gh6IJ9kl_-x", "OPENAI_API_KEY=[REDACTED:openai_key]"},
		{"openai legacy key", "key 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 end", "key [REDACTED:openai_key] end"},
		{"openai prefix in prose", "the sk-proj- prefix marks project keys", "the sk-proj- prefix marks project keys"},
		{"anthropic key", "export ANTHROPIC_API_KEY=sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7CD0EF3gh6IJ9kl-AA", "export ANTHROPIC_API_KEY=[REDACTED:anthropic_key]"},
		{"anthropic prefix in prose", "keys start with sk-ant-api03", "keys start with sk-ant-api03"},
		{"stripe secret key", "key sk_live_4eC39HqLyjWDarjtT1zdp7dc.", "key [REDACTED:stripe_key]."},
		{"stripe restricted key", "rk_live_4eC39HqLyjWDarjtT1zdp7dc", "[REDACTED:stripe_key]"},
		{"stripe test key", "STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_KEY=[REDACTED:stripe_key]"},
		{"stripe prefix in a word", "task_live_4eC39HqLyjWDarjtT1zdp7dc", "task_live_4eC39HqLyjWDarjtT1zdp7dc"},
		{"stripe masked key", "sk_live_********p7dc", "sk_live_********p7dc"},
		{"stripe publishable key", "pk_live_4eC39HqLyjWDarjtT1zdp7dc", "pk_live_4eC39HqLyjWDarjtT1zdp7dc"},
		{"lower-case token name", "export aws_session_token=FwoGZXIvYXdzEJr", "export aws_session_token=[REDACTED:password]"},
		{"mixed-case token name", "Github_Token=abcdefabcdef", "Github_Token=[REDACTED:password]"},
		{"lower-case token flag", "--token=abcdefabcdef", "--token=[REDACTED:password]"},
		{"token inside a longer word", "tokenizer=bert-base-uncased max_tokens=100000", "tokenizer=bert-base-uncased max_tokens=100000"},
		{"pip pin", "Collecting secretstorage==3.3.3", "Collecting secretstorage==3.3.3"},
		{"--token with a space", "huggingface-cli login --token FakeHubToken01", "huggingface-cli login --token [REDACTED:password]"},
		{"--api-key with a space", "stripe-mock --api-key FakeMockKey99 --port 1", "stripe-mock --api-key [REDACTED:password] --port 1"},
		{"--auth-token quoted", `sentry-cli --auth-token "FakeSentry01" releases`, "sentry-cli --auth-token [REDACTED:password] releases"},
		{"--webhook-secret with a space", "tool --webhook-secret FakeSecret01", "tool --webhook-secret [REDACTED:password]"},
		{"pulumi --secret", "pulumi config set --secret widget:dbPassword <value>", "pulumi config set --secret widget:dbPassword <value>"},
		{"--client-secret", "az ad sp create --client-secret FakeSecret01 --years 1", "az ad sp create --client-secret [REDACTED:password] --years 1"},
		{"--token then another flag", "gh auth login --with-token --hostname github.com", "gh auth login --with-token --hostname github.com"},
		{"--token-ttl", "kubeadm init --token-ttl 0 --token-ttl-extra 100000s", "kubeadm init --token-ttl 0 --token-ttl-extra 100000s"},
		{"docker --secret id=", "docker build --secret id=npmrc,src=/home/ci/.npmrc .", "docker build --secret id=npmrc,src=/home/ci/.npmrc ."},
		{"docker --secret source=", "docker build --secret source=/run/tok,id=tok .", "docker build --secret source=/run/tok,id=tok ."},
		{"codecov -t", "codecov -t 00000000-fake-4c5d-9e8f-000000000000", "codecov -t [REDACTED:password]"},
		{"codecov -t short", "./codecov -Z -t abc -f c.xml", "./codecov -Z -t [REDACTED:password] -f c.xml"},
		{"codecov bash uploader -t", "bash <(curl -s https://codecov.io/bash) -t 00000000-fake", "bash <(curl -s https://codecov.io/bash) -t [REDACTED:password]"},
		{"codecovcli -t", "codecovcli upload-process -t FakeCodecov -F unit", "codecovcli upload-process -t [REDACTED:password] -F unit"},
		{"vercel -t", "vercel deploy --prod -t FakeVercel01 --yes", "vercel deploy --prod -t [REDACTED:password] --yes"},
		{"docker build -t", "docker build -t registry/app:1.2 .", "docker build -t registry/app:1.2 ."},
		{"tar -t and sort -t", "tar -tzf dist.tgz && sort -t: -k2 hosts", "tar -tzf dist.tgz && sort -t: -k2 hosts"},
		{"docker build -t after codecov", "codecov -f c.xml && docker build -t registry/app:1.2 .", "codecov -f c.xml && docker build -t registry/app:1.2 ."},
		{"yaml token", "    token: FakeStaticBearerToken0123", "    token: [REDACTED:password]"},
		{"yaml token quoted", `  token: "FakeStaticBearerToken0123"`, "  token: [REDACTED:password]"},
		{"yaml eks token", "    token: k8s-aws-v1.aHR0cHM6Ly9zdHMuZXhhbXBsZS5jb20v", "    token: [REDACTED:eks_token]"},
		{"yaml token masked", "  token: ***", "  token: ***"},
		{"yaml token placeholder", "  token: <redacted>", "  token: <redacted>"},
		{"id-token permission", "  id-token: write", "  id-token: write"},
		{"token in an error", "error: failed to refresh token: context deadline exceeded", "error: failed to refresh token: context deadline exceeded"},
		{"token in an error, one word", "oauth2: cannot fetch token: Unauthorized", "oauth2: cannot fetch token: Unauthorized"},
		{"netrc on one line", "machine github.com login ci-bot password FakeNetrc1", "machine github.com login ci-bot password [REDACTED:password]"},
		{"netrc short password", "machine h login u password pw", "machine h login u password [REDACTED:password]"},
		{"netrc default", "default login anonymous password x@y", "default login anonymous password [REDACTED:password]"},
		{"netrc password line", "  password FakeNetrc1", "  password [REDACTED:password]"},
		{"netrc password line with a timestamp", "2026-11-25T10:00:00.1000000Z   password FakeNetrc1", "2026-11-25T10:00:00.1000000Z   password [REDACTED:password]"},
		{"netrc login and password line", "  login ci password FakeNetrc1", "  login ci password [REDACTED:password]"},
		{"password in prose", `password authentication failed for user "svc"`, `password authentication failed for user "svc"`},
		{"password prompt", "Password for 'https://ci@github.com': ", "Password for 'https://ci@github.com': "},
		{"pgpass line", "db.internal:5432:app:svc:FakePgPass1", "db.internal:5432:app:svc:[REDACTED:password]"},
		{"pgpass wildcards", "*:*:*:postgres:pw", "*:*:*:postgres:[REDACTED:password]"},
		{"pgpass echoed", `echo "localhost:6432:*:app:FakePg1" > ~/.pgpass`, `echo "localhost:6432:*:app:[REDACTED:password]" > ~/.pgpass`},
		{"pgpass other port after .pgpass", "+ cat ~/.pgpass\npg.acme.dev:25061:db:admin:FakePg1", "+ cat ~/.pgpass\npg.acme.dev:25061:db:admin:[REDACTED:password]"},
		{"pgpass password with a colon", "db:5432:app:svc:a\\:b", "db:5432:app:svc:[REDACTED:password]"},
		{"go compiler location", "./internal/api/x.go:12:5: undefined: foo", "./internal/api/x.go:12:5: undefined: foo"},
		{"go location in a .pgpass log", "cat ~/.pgpass\nx.go:12:5: undefined: foo", "cat ~/.pgpass\nx.go:12:5: undefined: foo"},
		{"five fields, no port", "a:b:c:d:e", "a:b:c:d:e"},
		{"digits only", "00:11:22:33:44:55 12:5432:3:4:5", "00:11:22:33:44:55 12:5432:3:4:5"},
		{"connection refused", "dial tcp 10.0.3.7:5432: connect: connection refused", "dial tcp 10.0.3.7:5432: connect: connection refused"},
		{"docker config auth", `{"auths": {"r.io": {"auth": "Y2k6RkFLRS1wdw=="}}}`, `{"auths": {"r.io": {"auth": [REDACTED:password]}}}`},
		{"docker config auth compact", `"auth":"Y2k6RkFLRS1wdw=="`, `"auth":[REDACTED:password]`},
		{"auth field short", `"auth": "none", "auths": "abcdefgh"`, `"auth": "none", "auths": "abcdefgh"`},
		{"_PASS variable", `DB_PASS="FakeDbPass1"`, `DB_PASS=[REDACTED:password]`},
		{"exported _PASS variable", "export SMTP_PASS=FakeSmtp1", "export SMTP_PASS=[REDACTED:password]"},
		{"PASS variable", "PASS=FakePass01", "PASS=[REDACTED:password]"},
		{"passphrase variable", "GPG_PASSPHRASE=FakePassphrase1", "GPG_PASSPHRASE=[REDACTED:password]"},
		{"PASS test output", "PASS: TestFoo\n--- PASS: TestX (0.00s)\nPASSED\nPASS\nok", "PASS: TestFoo\n--- PASS: TestX (0.00s)\nPASSED\nPASS\nok"},
		{"PASS count", "PASS=123 FAIL=0 BYPASS=true", "PASS=123 FAIL=0 BYPASS=true"},
		{"az login -p", "az login --service-principal -u app -p FakeAz01 --tenant t", "az login --service-principal -u app -p [REDACTED:password] --tenant t"},
		{"oc login -p", "oc login https://api.x:6443 -u dev -p dev", "oc login https://api.x:6443 -u dev -p [REDACTED:password]"},
		{"helm registry login -p", "helm registry login r.io -u ci -p FakeHelm1", "helm registry login r.io -u ci -p [REDACTED:password]"},
		{"podman login -p", "podman login -u ci -p pw r.io", "podman login -u ci -p [REDACTED:password] r.io"},
		{"docker login -p quoted", `docker login -u ci -p "Fake Pw" r.io`, "docker login -u ci -p [REDACTED:password] r.io"},
		{"ssh -p after docker login", "docker login r.io && ssh -p 2222 host", "docker login r.io && ssh -p 2222 host"},
		{"docker run -p", "docker run -p 8080:80 nginx", "docker run -p 8080:80 nginx"},
		{"skopeo --creds", "skopeo copy --creds ci:FakeSkopeo1 docker://a docker://b", "skopeo copy --creds ci:[REDACTED:password] docker://a docker://b"},
		{"skopeo --dest-creds=", "skopeo copy --dest-creds=ci:pw docker://a docker://b", "skopeo copy --dest-creds=ci:[REDACTED:password] docker://a docker://b"},
		{"skopeo --src-creds quoted", "skopeo copy --src-creds 'ci:Fake Pw' docker://a", "skopeo copy --src-creds 'ci:[REDACTED:password]' docker://a"},
		{"vault token", "token hvs.FAKEvaultTOKENexample0FAKE", "token [REDACTED:vault_token]"},
		{"vault batch token", "hvb.FAKEbatchTOKENexample0FAKEbatch", "[REDACTED:vault_token]"},
		{"hvs in a host name", "charts.hvs.io/FAKEvaultTOKENexample0FAKE", "charts.hvs.io/FAKEvaultTOKENexample0FAKE"},
		{"sendgrid key", "SG.FAKEsendgridEXAMPLE00x.FAKEsendgridSECRETexample0123456789abcdefgh", "[REDACTED:sendgrid_key]"},
		{"SG. inside a word", "MSG.FAKEsendgridEXAMPLE00x.FAKEsendgridSECRETexample0123456789abcdefgh", "MSG.FAKEsendgridEXAMPLE00x.FAKEsendgridSECRETexample0123456789abcdefgh"},
		{"hugging face token", "HF_TOKEN=hf_FAKEhuggingfaceEXAMPLEtokenFAKEhug", "HF_TOKEN=[REDACTED:huggingface_token]"},
		{"hf_ in a name", "hf_hub_download hf_hub_enable_hf_transfer_FAKEhuggingfaceEXAMPLE", "hf_hub_download hf_hub_enable_hf_transfer_FAKEhuggingfaceEXAMPLE"},
		{"eks token", "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXhhbXBsZS5jb20v", "[REDACTED:eks_token]"},
		{"slack app token", "SLACK_APP_TOKEN=xapp-1-A00FAKE0000-0000000000000-fakefakefakefake", "SLACK_APP_TOKEN=[REDACTED:slack_token]"},
		{"google api key", "key=AIzaFAKEgoogleAPIkeyEXAMPLE0FAKEgoogleA&x=1", "key=[REDACTED:google_api_key]&x=1"},
		{"AIza in a word", "MAIzaFAKEgoogleAPIkeyEXAMPLE0FAKEgoogleA", "MAIzaFAKEgoogleAPIkeyEXAMPLE0FAKEgoogleA"},
		{"twilio api key", "SKdeadbeefdeadbeefdeadbeefdeadbeef", "[REDACTED:twilio_key]"},
		{"twilio prefix in a word", "TASKdeadbeefdeadbeefdeadbeefdeadbeef SKU-1234 asked", "TASKdeadbeefdeadbeefdeadbeefdeadbeef SKU-1234 asked"},
		{"discord webhook", "https://discord.com/api/webhooks/000000000000000000/FAKEdiscordWEBHOOK-token_0", "[REDACTED:discord_webhook]"},
		{"discord docs", "https://discord.com/developers/docs/resources/webhook", "https://discord.com/developers/docs/resources/webhook"},
		{"digitalocean token", "dop_v1_0000000000000000deadbeefdeadbeefdeadbeefdeadbeef0000000000000000", "[REDACTED:digitalocean_token]"},
		{"doppler token", "dp.st.ci.FAKEdopplerEXAMPLE0FAKEdopplerEXAMPLE0FAKEdo", "[REDACTED:doppler_token]"},
		{"doppler token without config", "dp.st.FAKEdopplerEXAMPLE0FAKEdopplerEXAMPLE0FAKEdo", "[REDACTED:doppler_token]"},
		{"linear key", "lin_api_FAKElinearEXAMPLE0FAKElinearEXAMPLE0FAKE", "[REDACTED:linear_key]"},
		{"shopify token", "shpat_deadbeefdeadbeefdeadbeefdeadbeef", "[REDACTED:shopify_token]"},
		{"databricks token", "dapideadbeefdeadbeefdeadbeefdeadbeef-2", "[REDACTED:databricks_token]"},
		{"dapi in a word", "adapideadbeefdeadbeefdeadbeefdeadbeef", "adapideadbeefdeadbeefdeadbeefdeadbeef"},
		{"a later rule after a shorter marker", "ghp_" + strings.Repeat("a", 60) + " PGPASSWORD=FakePgPass1 " + strings.Repeat("b", 40) + " token: FakeStaticBearerToken0123", "[REDACTED:github_token] PGPASSWORD=[REDACTED:password] " + strings.Repeat("b", 40) + " token: FakeStaticBearerToken0123"},
		{"a later rule after a shorter marker, next line", "ghp_" + strings.Repeat("a", 60) + "\n  token: FakeStaticBearerToken0123", "[REDACTED:github_token]\n  token: [REDACTED:password]"},
		// Over-redaction a reviewer found: help text and expressions are no values.
		{"pflag usage --password string", "Usage: --password string   the password", "Usage: --password string   the password"},
		{"pflag usage --api-key string", "  --api-key string   API key for the server", "  --api-key string   API key for the server"},
		{"pflag usage --token string", "  --token string     Personal access token", "  --token string     Personal access token"},
		{"pflag usage --client-secret string", "  --client-secret string  OAuth client secret", "  --client-secret string  OAuth client secret"},
		{"pflag usage other types", "  --token-file stringArray x\n  --auth-token duration\n  --api-key strings\n  --password uint16", "  --token-file stringArray x\n  --auth-token duration\n  --api-key strings\n  --password uint16"},
		{"pflag type word at the end", "--token string", "--token string"},
		{"--token value that starts like a type", "--token stringent123 --password strings2", "--token [REDACTED:password] --password [REDACTED:password]"},
		{"codecov error text", "codecov: error: -t, --token must be provided", "codecov: error: -t, --token must be provided"},
		{"helm registry login -p expression", "helm registry login -u user -p ${{ secrets.HELM }} ghcr.io", "helm registry login -u user -p ${{ secrets.HELM }} ghcr.io"},
		{"docker login -p variable", "docker login -u ci -p $REGISTRY_PASSWORD registry.example.com", "docker login -u ci -p $REGISTRY_PASSWORD registry.example.com"},
		{"az login -p braced variable", `az login -u $ID -p "${SECRET}" --tenant $TENANT`, `az login -u $ID -p "${SECRET}" --tenant $TENANT`},
		{"docker login -p command substitution", `docker login r.io -p "$(cat /run/secrets/pw)" && docker login -p $(cat pw) r2.io`, `docker login r.io -p "$(cat /run/secrets/pw)" && docker login -p $(cat pw) r2.io`},
		{"sshpass -p and here-string variables", `sshpass -p "$SSHPASS" ssh h; docker login --password-stdin <<< $PW`, `sshpass -p "$SSHPASS" ssh h; docker login --password-stdin <<< $PW`},
		{"codecov -t variable", "codecov -t ${CODECOV_TOKEN}", "codecov -t ${CODECOV_TOKEN}"},
		{"login -p value holding a variable", "docker login -u ci -p pre$SUFFIX r.io", "docker login -u ci -p [REDACTED:password] r.io"},
		{"login -p xtrace-quoted dollar", "docker login -u ci -p 'pa$word' r.io", "docker login -u ci -p [REDACTED:password] r.io"},
		{"--password variable", "az login --username $ID --password $AZ_PASSWORD --tenant t", "az login --username $ID --password $AZ_PASSWORD --tenant t"},
		{"env expression", `export GITHUB_TOKEN="${{ secrets.GH_PAT }}"`, `export GITHUB_TOKEN="${{ secrets.GH_PAT }}"`},
		{"auth field word", `  "auth": "required",`, `  "auth": "required",`},
		{"auth field long word", `"auth": "authentication", "auth": "basic_auth_required"`, `"auth": "authentication", "auth": "basic_auth_required"`},
		{"auth field object", `  "auth": {"type": "oauth2"},`, `  "auth": {"type": "oauth2"},`},
		// Leaks a reviewer found.
		{"aws configure set", "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws configure set aws_secret_access_key [REDACTED:aws_secret_key]"},
		{"openssl -pass pass:", "openssl enc -aes-256-cbc -pass pass:S3cretPassw0rd -in a.tar -out a.enc", "openssl enc -aes-256-cbc -pass pass:[REDACTED:password] -in a.tar -out a.enc"},
		{"openssl -passout pass:", "openssl pkcs12 -export -passout pass:S3cretPassw0rd -out c.p12", "openssl pkcs12 -export -passout pass:[REDACTED:password] -out c.p12"},
		{"openssl -passin pass: short", "openssl rsa -passin pass:pw -in k.pem", "openssl rsa -passin pass:[REDACTED:password] -in k.pem"},
		{"openssl -passin env:", "openssl rsa -passin env:KEY_PW -in k.pem", "openssl rsa -passin env:KEY_PW -in k.pem"},
		{"dotnet nuget push -k", "dotnet nuget push pkg.nupkg -k oy2abcdefghijklmnopqrstuvwxyz0123456789abcde -s https://api.nuget.org/v3/index.json", "dotnet nuget push pkg.nupkg -k [REDACTED:password] -s https://api.nuget.org/v3/index.json"},
		{"nuget push -ApiKey", "nuget push pkg.nupkg -ApiKey oy2abcdefghijklmnopqrstuvwxyz0123456789abcde", "nuget push pkg.nupkg -ApiKey [REDACTED:password]"},
		{"nuget sources add -Password", "nuget sources add -Name acme -Source https://x/index.json -Username ci -Password FakeFeedPw1", "nuget sources add -Name acme -Source https://x/index.json -Username ci -Password [REDACTED:password]"},
		{"nuget push -ApiKey expression", "nuget push pkg.nupkg -ApiKey ${{ secrets.NUGET }}", "nuget push pkg.nupkg -ApiKey ${{ secrets.NUGET }}"},
		{"sonar.login", "mvn deploy -Dsonar.login=squ_0123456789abcdef0123456789abcdef01234567", "mvn deploy -Dsonar.login=[REDACTED:vendor_token]"},
		{"sonar.token", "mvn sonar:sonar -Dsonar.token=squ_0123456789abcdef0123456789abcdef01234567", "mvn sonar:sonar -Dsonar.token=[REDACTED:vendor_token]"},
		{"cargo login", "cargo login cioAbCdEfGhIjKlMnOpQrStUvWxYz012345", "cargo login [REDACTED:password]"},
		{"cargo login variable", "cargo login $CARGO_TOKEN && cargo publish", "cargo login $CARGO_TOKEN && cargo publish"},
		{"redis-cli -a", "redis-cli -a hunter22hunter22 -h cache ping", "redis-cli -a [REDACTED:password] -h cache ping"},
		{"redis-cli -a after -h", "redis-cli -h cache -p 6379 -a pw ping", "redis-cli -h cache -p 6379 -a [REDACTED:password] ping"},
		{"sqlcmd -P", "sqlcmd -S db -U sa -P 'Str0ngP@ss!'", "sqlcmd -S db -U sa -P [REDACTED:password]"},
		{"google oauth client secret", "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz01", "[REDACTED:google_api_key]"},
		{"google oauth client secret in yaml", "  client_id: x\n  client_secret: GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz01", "  client_id: x\n  client_secret: [REDACTED:google_api_key]"},
		{"yaml token with a comment", "  token: abcdefghijklmnop   # comment", "  token: [REDACTED:password]   # comment"},
		{"yaml token in a flow map", "  auth: {token: abcdefghijklmnopqrst}", "  auth: {token: [REDACTED:password]}"},
		{"yaml token in a flow map, quoted, then more", `  x: {token: "abcdefghijklmnopqrst", other: 1}`, `  x: {token: [REDACTED:password], other: 1}`},
		{"yaml token after another flow key", "  x: {user: admin, token: abcdefghijklmnopqrstu}", "  x: {user: admin, token: [REDACTED:password]}"},
		{"yaml pass", "  pass: hunter2hunter2", "  pass: [REDACTED:password]"},
		{"yaml DB_PASS", "  DB_PASS: hunter2hunter2", "  DB_PASS: [REDACTED:password]"},
		{"yaml pass expression", "  DB_PASS: ${{ secrets.DB }}", "  DB_PASS: ${{ secrets.DB }}"},
		{"--pass", "lftp -u ci --pass hunter2secret sftp://files.acme.dev", "lftp -u ci --pass [REDACTED:password] sftp://files.acme.dev"},
		{"--pass=", "duplicity --pass=hunter2secret /src file:///dst", "duplicity --pass=[REDACTED:password] /src file:///dst"},
		{"--pass short", "tool --pass abc", "tool --pass abc"},
		{"--pass-through", "ffmpeg --pass-through hunter2secret", "ffmpeg --pass-through hunter2secret"},
		{"--passes", "encoder --passes 3 --passes=300000", "encoder --passes 3 --passes=300000"},
		{"--pass variable", "lftp --pass $FTP_PASSWORD", "lftp --pass $FTP_PASSWORD"},
		{"token: without a space", "token:abcdefghijklmnopqrst", "token:[REDACTED:password]"},
		{"yaml token: without a space", "  auth_token:abcdefghijklmnopqrst", "  auth_token:[REDACTED:password]"},
		{"token: without a space, masked", "  token:***", "  token:***"},
		{"token: without a space, short", "token:expired", "token:expired"},
		{"token: without a space in prose", "error: refresh token:abcdefghijklmnopqrst was rejected", "error: refresh token:abcdefghijklmnopqrst was rejected"},
		{"x-access-token clone URL", "git clone https://x-access-token:notaghstokenvalue12345@github.com/o/r", "git clone https://x-access-token:[REDACTED:url_password]@github.com/o/r"},
		{"x-access-token at a line start", "x-access-token:abcdefghijklmnopqrst@github.com", "x-access-token:abcdefghijklmnopqrst@github.com"},
		{"ssh-keygen -N", "ssh-keygen -t ed25519 -N 'my passphrase' -f key", "ssh-keygen -t ed25519 -N [REDACTED:password] -f key"},
		{"ssh-keygen -N unquoted", "ssh-keygen -q -N hunter2pass -f ~/.ssh/id", "ssh-keygen -q -N [REDACTED:password] -f ~/.ssh/id"},
		{"ssh-keygen -p -P -N", "ssh-keygen -p -P oldpass1 -N newpass1 -f key", "ssh-keygen -p -P [REDACTED:password] -N [REDACTED:password] -f key"},
		{"ssh-keygen -N empty", "ssh-keygen -t ed25519 -N '' -f key", "ssh-keygen -t ed25519 -N '' -f key"},
		{"ssh-keygen -N empty double", `ssh-keygen -t rsa -N "" -f key`, `ssh-keygen -t rsa -N "" -f key`},
		{"ssh-keygen -N variable", `ssh-keygen -N "$PASSPHRASE" -f key`, `ssh-keygen -N "$PASSPHRASE" -f key`},
		{"ssh -N is no ssh-keygen", "ssh -N -L 5432:db:5432 bastion", "ssh -N -L 5432:db:5432 bastion"},
		{"twine -p pypi token", "twine upload -u __token__ -p pypi-abcdefghijklmnopqrstuvwxyz dist/*", "twine upload -u __token__ -p [REDACTED:password] dist/*"},
		{"twine -p password", "twine upload -u ci -p S3cretPw dist/*", "twine upload -u ci -p [REDACTED:password] dist/*"},
		{"twine --password", "twine upload --password S3cretPassw0rd dist/*", "twine upload --password [REDACTED:password] dist/*"},
		{"twine -p variable", "twine upload -p $PYPI_TOKEN dist/*", "twine upload -p $PYPI_TOKEN dist/*"},
		{"twine -r", "twine upload -r testpypi dist/pkg-1.0-py3-none-any.whl", "twine upload -r testpypi dist/pkg-1.0-py3-none-any.whl"},
		{"heroku auth:token", "+ heroku auth:token\n01234567-89ab-cdef-0123-456789abcdef\n+ next", "+ heroku auth:token\n[REDACTED:password]\n+ next"},
		{"heroku auth:token HRKU", "$ heroku auth:token\n2026-12-06T10:00:00.000Z HRKU-AbCdEfGhIjKlMnOpQrStUvWxYz0123", "$ heroku auth:token\n2026-12-06T10:00:00.000Z [REDACTED:password]"},
		{"heroku auth:token warning line", "heroku auth:token\n ›   Warning: token will expire 01/01/2027", "heroku auth:token\n ›   Warning: token will expire 01/01/2027"},
		{"uuid without heroku", "request id\n01234567-89ab-cdef-0123-456789abcdef", "request id\n01234567-89ab-cdef-0123-456789abcdef"},
		{"rubygems key", "GEM_HOST_API_KEY=rubygems_0123456789abcdef0123456789abcdef0123456789abcdef", "GEM_HOST_API_KEY=[REDACTED:rubygems_key]"},
		{"rubygems key too short", "rubygems_0123456789abcdef", "rubygems_0123456789abcdef"},
		{"rubygems word", "rubygems_version: 3.5.0", "rubygems_version: 3.5.0"},
		{"sentry org token", "SENTRY_AUTH_TOKEN sntrys_eyJpYXQiOjE2OTQwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "SENTRY_AUTH_TOKEN [REDACTED:sentry_token]"},
		{"sentry user token", "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "[REDACTED:sentry_token]"},
		{"sentry prefix alone", "sntrys_ is the prefix", "sntrys_ is the prefix"},
		{"openai sk-None", "sk-None-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ", "[REDACTED:openai_key]"},
		{"openai sk-None short", "sk-None-abc", "sk-None-abc"},
		{"next_page_token yaml", "next_page_token: CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3", "next_page_token: CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3"},
		{"next_page_token env", "NEXT_PAGE_TOKEN=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3", "NEXT_PAGE_TOKEN=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3"},
		{"nextPageToken json", `{"nextPageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3"}`, `{"nextPageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3"}`},
		{"syncToken and prevPageToken json", `{"syncToken": "abcdefghijklmnop", "prevPageToken": "abcdefghijklmnop"}`, `{"syncToken": "abcdefghijklmnop", "prevPageToken": "abcdefghijklmnop"}`},
		{"csrf_token in a flow map", "  form: {csrf_token: abcdefghijklmnopqrst}", "  form: {csrf_token: abcdefghijklmnopqrst}"},
		{"csrf_token", "csrf_token: abcdefghijklmnopqrstuv", "csrf_token: abcdefghijklmnopqrstuv"},
		{"pagination_token", "pagination_token=abcdefghijklmnopqrstuv", "pagination_token=abcdefghijklmnopqrstuv"},
		{"page token then a real one", "page_token=abcdefghijkl refresh_token=abcdefghijklmnop", "page_token=abcdefghijkl refresh_token=[REDACTED:password]"},
		{"a token key ending in page_token stays a secret", "api_page_token=abcdefghijklmnop", "api_page_token=[REDACTED:password]"},
		{"secretName", "  secretName: my-tls-secret", "  secretName: my-tls-secret"},
		{"secret_name then secret", "secret_name: deploy-key secret: hunter2hunter2", "secret_name: deploy-key secret: [REDACTED:password]"},
		{"client_secret still goes", "  client_secret: abcdefghijklmnop", "  client_secret: [REDACTED:password]"},
		{"apiKey process.env", "  apiKey: process.env.OPENAI_API_KEY,", "  apiKey: process.env.OPENAI_API_KEY,"},
		{"password os.environ", `    password=os.environ["DB_PASSWORD"],`, `    password=os.environ["DB_PASSWORD"],`},
		{"apiKey quoted process.env string", `  apiKey: "process.env.XYZ"`, `  apiKey: [REDACTED:password]`},
		{"apiKey value", "  apiKey: AbCdEfGhIjKlMnOp", "  apiKey: [REDACTED:password]"},
		{"kubeadm join --token", "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00", "kubeadm join 10.0.0.1:6443 --token [REDACTED:password] --discovery-token-ca-cert-hash sha256:00"},
		{"pgpass-shaped warning", "warning: db.example.com:5432:app:ci:connection refused", "warning: db.example.com:5432:app:ci:connection refused"},
		{"pgpass-shaped error annotation", "##[error]db.example.com:5432:app:ci:timeout", "##[error]db.example.com:5432:app:ci:timeout"},
		{"pgpass-shaped ERROR with timestamp", "2026-12-06T10:00:00.000Z ERROR db.example.com:5432:app:ci:timeout", "2026-12-06T10:00:00.000Z ERROR db.example.com:5432:app:ci:timeout"},
		{"pgpass after a warning line", "warning: x\ndb.example.com:5432:app:ci:FakePgPass1", "warning: x\ndb.example.com:5432:app:ci:[REDACTED:password]"},
		{"pgpass host named like a level", "info.acme.dev:5432:app:ci:FakePgPass1", "info.acme.dev:5432:app:ci:[REDACTED:password]"},
		// A command continued over lines with a trailing backslash, as a script echoed by the CI
		// (GitHub Actions' ##[group]Run, set -v) shows it: its arguments are still its own.
		{"curl -u on a continued line", "curl -sS \\\n  -u deploy:s3cr3t \\\n  https://x", "curl -sS \\\n  -u deploy:[REDACTED:password] \\\n  https://x"},
		{"curl --user two lines down", "curl -sS \\\n  https://x \\\n  --user deploy:s3cr3t", "curl -sS \\\n  https://x \\\n  --user deploy:[REDACTED:password]"},
		{"curl -u continued with CRLF", "curl -sS \\\r\n  -u deploy:s3cr3t \\\r\n  https://x\r\n", "curl -sS \\\r\n  -u deploy:[REDACTED:password] \\\r\n  https://x\r\n"},
		{"curl -u continued, not indented", "curl -sS \\\n-u deploy:s3cr3t https://x", "curl -sS \\\n-u deploy:[REDACTED:password] https://x"},
		{"curl -U and -u on continued lines", "curl \\\n  -U p:Pw1 \\\n  -u u:Pw2 \\\n  https://x", "curl \\\n  -U p:[REDACTED:password] \\\n  -u u:[REDACTED:password] \\\n  https://x"},
		{"curl -u continued in a GitHub Actions run group", "2026-11-25T10:00:15.0000000Z ##[group]Run curl -sS \\\n2026-11-25T10:00:15.0000000Z   -u deploy:s3cr3t \\\n2026-11-25T10:00:15.0000000Z   https://x\n2026-11-25T10:00:15.0000000Z shell: /usr/bin/bash -e {0}",
			"2026-11-25T10:00:15.0000000Z ##[group]Run curl -sS \\\n2026-11-25T10:00:15.0000000Z   -u deploy:[REDACTED:password] \\\n2026-11-25T10:00:15.0000000Z   https://x\n2026-11-25T10:00:15.0000000Z shell: /usr/bin/bash -e {0}"},
		{"curl -u continued after a timestamp, not indented", "2026-11-25T10:00:15.0000000Z curl \\\n2026-11-25T10:00:15.0000000Z -u deploy:s3cr3t", "2026-11-25T10:00:15.0000000Z curl \\\n2026-11-25T10:00:15.0000000Z -u deploy:[REDACTED:password]"},
		{"curl -u continued in a GitHub Actions run group, colored", "2026-11-25T10:00:15.0000000Z ##[group]Run curl -sS \\\n2026-11-25T10:00:15.0000000Z \x1b[36;1mcurl -sS \\\x1b[0m\n2026-11-25T10:00:15.0000000Z \x1b[36;1m  -u deploy:s3cr3t \\\x1b[0m\n2026-11-25T10:00:15.0000000Z \x1b[36;1m  https://x\x1b[0m",
			"2026-11-25T10:00:15.0000000Z ##[group]Run curl -sS \\\n2026-11-25T10:00:15.0000000Z \x1b[36;1mcurl -sS \\\x1b[0m\n2026-11-25T10:00:15.0000000Z \x1b[36;1m  -u deploy:[REDACTED:password] \\\x1b[0m\n2026-11-25T10:00:15.0000000Z \x1b[36;1m  https://x\x1b[0m"},
		{"docker login -p continued, colored, not indented", "\x1b[36;1mdocker login \\\x1b[0m\n\x1b[36;1m-p s3cr3tpw r.io\x1b[0m", "\x1b[36;1mdocker login \\\x1b[0m\n\x1b[36;1m-p [REDACTED:password] r.io\x1b[0m"},
		{"sshpass continued, colored", "\x1b[36;1msshpass \\\x1b[0m\n\x1b[36;1m  -p s3cr3tpw ssh h\x1b[0m", "\x1b[36;1msshpass \\\x1b[0m\n\x1b[36;1m  -p [REDACTED:password] ssh h\x1b[0m"},
		{"colored line without a backslash ends the command", "\x1b[36;1mcurl https://x\x1b[0m\n\x1b[36;1m  -u deploy:s3cr3t\x1b[0m", "\x1b[36;1mcurl https://x\x1b[0m\n\x1b[36;1m  -u deploy:s3cr3t\x1b[0m"},
		// GitHub Actions shows a run step's script in color: a command at a line's start follows
		// the color's m, a word character.
		{"docker login -p on a colored line", "2026-11-25T10:00:15.0000000Z \x1b[36;1mdocker login -u ci -p s3cr3tpw r.io\x1b[0m", "2026-11-25T10:00:15.0000000Z \x1b[36;1mdocker login -u ci -p [REDACTED:password] r.io\x1b[0m"},
		{"mysql -p on a colored line", "\x1b[36;1mmysql -uroot -pS3cretRoot\x1b[0m", "\x1b[36;1mmysql -uroot -p[REDACTED:password]\x1b[0m"},
		{"codecov -t on a colored line", "\x1b[36;1mcodecov -t abcdef-1234\x1b[0m", "\x1b[36;1mcodecov -t [REDACTED:password]\x1b[0m"},
		{"colored password keeps the reset", "\x1b[36;1mpassword: hunter2hunter2\x1b[0m", "\x1b[36;1mpassword: [REDACTED:password]\x1b[0m"},
		{"colored docker run -p", "\x1b[36;1mdocker run -p 8080:80 nginx\x1b[0m\n\x1b[36;1mdocker login r.io\x1b[0m", "\x1b[36;1mdocker run -p 8080:80 nginx\x1b[0m\n\x1b[36;1mdocker login r.io\x1b[0m"},
		{"gitlab colored docker login -p variable", "\x1b[32;1m$ docker login registry.acme.internal -u ci -p $REGISTRY_TOKEN\x1b[0;m", "\x1b[32;1m$ docker login registry.acme.internal -u ci -p $REGISTRY_TOKEN\x1b[0;m"},
		{"gitlab colored continued curl", "\x1b[32;1m$ curl -sS \\\x1b[0;m\n  -u ci:s3cr3tpw https://x", "\x1b[32;1m$ curl -sS \\\x1b[0;m\n  -u ci:[REDACTED:password] https://x"},
		{"command name after other letters", "xdocker login -p s3cr3tpw r.io; mymysql -pS3cret", "xdocker login -p s3cr3tpw r.io; mymysql -pS3cret"},
		{"curl header on a continued line", `curl -sS \` + "\n" + `  -H "Authorization: Bearer abcdefghijklmnopqrstuvwxyz" \` + "\n  https://x", `curl -sS \` + "\n" + `  -H "Authorization: Bearer [REDACTED:authorization]" \` + "\n  https://x"},
		{"docker login -p on a continued line", "docker login \\\n  -u ci \\\n  -p s3cr3tpw \\\n  registry.io", "docker login \\\n  -u ci \\\n  -p [REDACTED:password] \\\n  registry.io"},
		{"sshpass -p on a continued line", "sshpass \\\n  -p s3cr3tpw ssh host", "sshpass \\\n  -p [REDACTED:password] ssh host"},
		{"codecov -t on a continued line", "./codecov \\\n  -t 00000000-fake \\\n  -f c.xml", "./codecov \\\n  -t [REDACTED:password] \\\n  -f c.xml"},
		{"ssh-keygen -N on a continued line", "ssh-keygen -t ed25519 \\\n  -N 'my pass' \\\n  -f key", "ssh-keygen -t ed25519 \\\n  -N [REDACTED:password] \\\n  -f key"},
		{"mysql -p on a continued line", "mysql -h db \\\n  -u root \\\n  -pS3cr3t -e 'SELECT 1'", "mysql -h db \\\n  -u root \\\n  -p[REDACTED:password] -e 'SELECT 1'"},
		{"here-string on a continued line", "docker login -u ci --password-stdin \\\n  r.io <<< DockerStdinPw44", "docker login -u ci --password-stdin \\\n  r.io <<< [REDACTED:password]"},
		{"--token on a continued line", "gh api \\\n  --token abcdefghijkl", "gh api \\\n  --token [REDACTED:password]"},
		{"-u on the line after a curl with no backslash", "curl -sS https://x\n  -u deploy:s3cr3t", "curl -sS https://x\n  -u deploy:s3cr3t"},
		{"sort -u after an escaped backslash", "curl https://x \\\\\nsort -u a:b", "curl https://x \\\\\nsort -u a:b"},
		{"sort -u after a pipe on a continued line", "curl https://x \\\n  | sort -u a:b", "curl https://x \\\n  | sort -u a:b"},
		{"ssh -p after docker login && continued", "docker login r.io && \\\n  ssh -p 2222 host", "docker login r.io && \\\n  ssh -p 2222 host"},
		{"docker run -p on a continued line", "docker run \\\n  -p 8080:80 nginx", "docker run \\\n  -p 8080:80 nginx"},
		{"mysql -p prompts", "mysql -u root -p mydb", "mysql -u root -p mydb"},
		{"mysql -p variable", `mysql -u root -p"$MYSQL_PASSWORD" mydb`, `mysql -u root -p"$MYSQL_PASSWORD" mydb`},
		// pflag/cobra help for --pass, as for --token.
		{"pflag usage --pass string", "      --pass string   password for the account", "      --pass string   password for the account"},
		{"pflag usage -p, --pass string", "  -p, --pass string       password (env FTP_PASS)", "  -p, --pass string       password (env FTP_PASS)"},
		{"pflag usage --pass stringArray at the end", "  --pass stringArray", "  --pass stringArray"},
		{"--pass value that starts like a type", "lftp --pass stringent123 sftp://h", "lftp --pass [REDACTED:password] sftp://h"},
		{"--pass= string is a value", "duplicity --pass=string12 /src", "duplicity --pass=[REDACTED:password] /src"},
		// Code that reads a secret from the environment names it; it holds none.
		{"yaml token ENV[]", "  token: ENV['GITHUB_TOKEN']", "  token: ENV['GITHUB_TOKEN']"},
		{"ruby ENV.fetch", "password = ENV.fetch('DB_PASSWORD')", "password = ENV.fetch('DB_PASSWORD')"},
		{"ruby ENV.fetch with a default block", `  secret_key_base: ENV.fetch("SECRET_KEY_BASE") { "x" }`, `  secret_key_base: ENV.fetch("SECRET_KEY_BASE") { "x" }`},
		{"ruby ENV[] double-quoted", `api_key = ENV["STRIPE_API_KEY"]`, `api_key = ENV["STRIPE_API_KEY"]`},
		{"ruby ENV[] in yaml", "  password: ENV['DATABASE_PASSWORD']", "  password: ENV['DATABASE_PASSWORD']"},
		{"erb ENV in database.yml", "  password: <%= ENV['DATABASE_PASSWORD'] %>", "  password: <%= ENV['DATABASE_PASSWORD'] %>"},
		{"php getenv", "$password = getenv('DB_PASSWORD');", "$password = getenv('DB_PASSWORD');"},
		{"php $_ENV", "$password = $_ENV['DB_PASSWORD'];", "$password = $_ENV['DB_PASSWORD'];"},
		{"php $_SERVER", "$db_password = $_SERVER['DB_PASSWORD'];", "$db_password = $_SERVER['DB_PASSWORD'];"},
		{"java System.getenv", `String password = System.getenv("DB_PASSWORD");`, `String password = System.getenv("DB_PASSWORD");`},
		{"java System.getProperty", `String password = System.getProperty("db.password");`, `String password = System.getProperty("db.password");`},
		{"rust env::var", `let password = env::var("DB_PASSWORD").unwrap();`, `let password = env::var("DB_PASSWORD").unwrap();`},
		{"rust std::env::var", `let api_key = std::env::var("API_KEY")?;`, `let api_key = std::env::var("API_KEY")?;`},
		{"rust env! macro", `const API_KEY: &str = env!("API_KEY");`, `const API_KEY: &str = env!("API_KEY");`},
		{"dotnet GetEnvironmentVariable", `var password = Environment.GetEnvironmentVariable("DB_PASSWORD");`, `var password = Environment.GetEnvironmentVariable("DB_PASSWORD");`},
		{"go os.Getenv", `password = os.Getenv("DB_PASSWORD")`, `password = os.Getenv("DB_PASSWORD")`},
		{"go os.LookupEnv", `secret, ok = os.LookupEnv("SECRET")`, `secret, ok = os.LookupEnv("SECRET")`},
		{"python environ.get", `password = environ.get("DB_PASSWORD")`, `password = environ.get("DB_PASSWORD")`},
		{"elixir System.get_env", `  password: System.get_env("DB_PASSWORD"),`, `  password: System.get_env("DB_PASSWORD"),`},
		{"elixir System.fetch_env!", `  secret_key_base: System.fetch_env!("SECRET_KEY_BASE"),`, `  secret_key_base: System.fetch_env!("SECRET_KEY_BASE"),`},
		{"deno env", `const apiKey = Deno.env.get("API_KEY");`, `const apiKey = Deno.env.get("API_KEY");`},
		{"vite import.meta.env", `  apiKey: import.meta.env.VITE_API_KEY,`, `  apiKey: import.meta.env.VITE_API_KEY,`},
		{"scala sys.env", `val password = sys.env("DB_PASSWORD")`, `val password = sys.env("DB_PASSWORD")`},
		{"a password that starts with ENV", "password=ENVIRONMENT-hunter2", "password=[REDACTED:password]"},
		{"a password that starts with getenv", "password=getenvHunter2", "password=[REDACTED:password]"},
		{"a quoted ENV[] string is a value", `password: "ENV['X'] hunter2"`, `password: [REDACTED:password]`},
		// What the CI masked (***) and what names a secret (${{ … }}, a template, a variable
		// in a URL) is no secret: a reviewer found these replaced by markers.
		{"docker login -p masked", "+ docker login -u ci -p *** ghcr.io", "+ docker login -u ci -p *** ghcr.io"},
		{"sshpass -p masked", "+ sshpass -p *** ssh h", "+ sshpass -p *** ssh h"},
		{"codecov -t masked", "+ codecov -t ***", "+ codecov -t ***"},
		{"curl -u masked", "+ curl -u ci:*** https://x", "+ curl -u ci:*** https://x"},
		{"curl -u expression", `+ curl -u "ci:${{ secrets.PW }}" https://x`, `+ curl -u "ci:${{ secrets.PW }}" https://x`},
		{"url password masked", "+ git clone https://ci:***@github.com/o/r", "+ git clone https://ci:***@github.com/o/r"},
		{"url password braced variable", "+ git clone https://gitlab-ci-token:${CI_JOB_TOKEN}@gitlab.acme.dev/g/r.git", "+ git clone https://gitlab-ci-token:${CI_JOB_TOKEN}@gitlab.acme.dev/g/r.git"},
		{"url password variable", "git clone https://x:$GITLAB_TOKEN@gitlab.com/o/r", "git clone https://x:$GITLAB_TOKEN@gitlab.com/o/r"},
		{"ansible template password", `  password: "{{ vault_db_password }}"`, `  password: "{{ vault_db_password }}"`},
		{"ansible lookup password", `  password: '{{ lookup("env", "DB_PASSWORD") }}'`, `  password: '{{ lookup("env", "DB_PASSWORD") }}'`},
		{"helm template password", "  password: {{ .Values.db.password | quote }}", "  password: {{ .Values.db.password | quote }}"},
		{"docker login -p partly masked", "docker login -u ci -p ***abc r.io", "docker login -u ci -p [REDACTED:password] r.io"},
		{"url password with a dollar", "https://ci:pa$$word@h/x", "https://ci:[REDACTED:url_password]@h/x"},
		{"template then text is a value", `password: "{{ x }} hunter2"`, `password: [REDACTED:password]`},
		// Options that take a password, found by a reviewer's pass over CI log shapes.
		{"gpg --passphrase", "+ gpg --batch --passphrase GpgS3cret --decrypt secrets.gpg", "+ gpg --batch --passphrase [REDACTED:password] --decrypt secrets.gpg"},
		{"gpg --passphrase=", "gpg --passphrase=GpgS3cret -d x", "gpg --passphrase=[REDACTED:password] -d x"},
		{"gpg --passphrase-file and -fd", "gpg --batch --passphrase-file /run/pw --passphrase-fd 0 -d x", "gpg --batch --passphrase-file /run/pw --passphrase-fd 0 -d x"},
		{"ado.net Pwd=", "Data Source=db;Initial Catalog=app;User ID=sa;Pwd=Sql$ecret1;", "Data Source=db;Initial Catalog=app;User ID=sa;Pwd=[REDACTED:password]"},
		{"odbc PWD=", "DSN=acme; UID=ci; PWD={OdbcS3cret}", "DSN=acme; UID=ci; PWD=[REDACTED:password]"},
		{"PWD in an env dump", "PWD=/home/runner/work/api/api\nOLDPWD=/home/runner", "PWD=/home/runner/work/api/api\nOLDPWD=/home/runner"},
		{"keytool -storepass -keypass", "+ keytool -importkeystore -srcstorepass StoreS3cret -deststorepass StoreS3cret2 -destkeypass KeyS3cret", "+ keytool -importkeystore -srcstorepass [REDACTED:password] -deststorepass [REDACTED:password] -destkeypass [REDACTED:password]"},
		{"jarsigner -storepass", "+ jarsigner -keystore ks.jks -storepass StoreS3cret app.jar alias", "+ jarsigner -keystore ks.jks -storepass [REDACTED:password] app.jar alias"},
		{"keytool -storepass:env", "keytool -genkey -keystore ks.jks -storepass:env STORE_PW -keypass:file /run/kp", "keytool -genkey -keystore ks.jks -storepass:env STORE_PW -keypass:file /run/kp"},
		{"openssl enc -k", "+ openssl enc -d -aes-256-cbc -k OpenS3cret -in s.enc -out s", "+ openssl enc -d -aes-256-cbc -k [REDACTED:password] -in s.enc -out s"},
		{"openssl -key and -kfile", "openssl s_client -key client.key -cert c.pem; openssl enc -kfile /run/k -in x", "openssl s_client -key client.key -cert c.pem; openssl enc -kfile /run/k -in x"},
		{"zip -P", "+ zip -r -P ZipS3cret secrets.zip dir", "+ zip -r -P [REDACTED:password] secrets.zip dir"},
		{"unzip -P", "+ unzip -o -P ZipS3cret secrets.zip", "+ unzip -o -P [REDACTED:password] secrets.zip"},
		{"unzip -p and gzip", "unzip -p a.zip f.txt | gzip -P x", "unzip -p a.zip f.txt | gzip -P x"},
		{"7z -p", "+ 7z x -pSevenS3cret secrets.7z", "+ 7z x -p[REDACTED:password] secrets.7z"},
		{"7z -p prompts", "7z a -p secrets.7z dir", "7z a -p secrets.7z dir"},
		{"doctl -t", "+ doctl auth init -t DoctlS3cretToken", "+ doctl auth init -t [REDACTED:password]"},
		{"ngrok add-authtoken", "+ ngrok config add-authtoken 2abcDEFghiJKLmnoPQRstu_3vwxYZ", "+ ngrok config add-authtoken [REDACTED:password]"},
		{"ngrok authtoken", "ngrok authtoken 2abcDEFghiJKLmnoPQRstu_3vwxYZ && ngrok http 8080", "ngrok authtoken [REDACTED:password] && ngrok http 8080"},
		{"netlify --auth", "+ netlify deploy --prod --auth NetlifyS3cretToken --dir dist", "+ netlify deploy --prod --auth [REDACTED:password] --dir dist"},
		{"netlify --auth variable", "netlify deploy --auth $NETLIFY_AUTH_TOKEN --dir dist", "netlify deploy --auth $NETLIFY_AUTH_TOKEN --dir dist"},
		{"gh secret set --body", `+ gh secret set API_KEY --body "GhS3cretValue"`, `+ gh secret set API_KEY --body [REDACTED:password]`},
		{"gh secret set -b", "gh secret set API_KEY -b GhS3cretValue --repo o/r", "gh secret set API_KEY -b [REDACTED:password] --repo o/r"},
		{"gh secret set from a file or a variable", `gh secret set API_KEY < key.txt; gh secret set K --body "$K"; gh secret list`, `gh secret set API_KEY < key.txt; gh secret set K --body "$K"; gh secret list`},
		{"npm config set _authToken with a space", "+ npm config set //registry.npmjs.org/:_authToken a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6", "+ npm config set //registry.npmjs.org/:_authToken [REDACTED:password]"},
		{"yarn config set npmAuthToken", "+ yarn config set npmAuthToken a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6", "+ yarn config set npmAuthToken [REDACTED:password]"},
		{"npm config set registry", "npm config set registry https://registry.npmjs.org/", "npm config set registry https://registry.npmjs.org/"},
		{"aws configure set aws_session_token", "+ aws configure set aws_session_token IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample", "+ aws configure set aws_session_token [REDACTED:password]"},
		{"aws configure set region", "aws configure set region eu-west-1 --profile ci", "aws configure set region eu-west-1 --profile ci"},
		{"mongodump -p", "+ mongodump -u ci -p MongoS3cret --db app", "+ mongodump -u ci -p [REDACTED:password] --db app"},
		{"mongosh -p", "mongosh --host db -u ci -p MongoS3cret admin", "mongosh --host db -u ci -p [REDACTED:password] admin"},
		{"mongod --port", "mongod --port 27017 --bind_ip_all", "mongod --port 27017 --bind_ip_all"},
		{"ldapsearch -w", "+ ldapsearch -x -D cn=admin,dc=acme -w LdapS3cret -b dc=acme", "+ ldapsearch -x -D cn=admin,dc=acme -w [REDACTED:password] -b dc=acme"},
		{"ldapsearch -W prompts", "ldapsearch -x -D cn=admin,dc=acme -W -b dc=acme", "ldapsearch -x -D cn=admin,dc=acme -W -b dc=acme"},
		{"dotnet nuget add source -p", "+ dotnet nuget add source https://x/index.json -n acme -u ci -p NugetS3cret --store-password-in-clear-text", "+ dotnet nuget add source https://x/index.json -n acme -u ci -p [REDACTED:password] --store-password-in-clear-text"},
		{"add-mask echoed", "+ echo '::add-mask::S3cretMaskedValue'", "+ echo '::add-mask::[REDACTED:password]'"},
		{"add-mask of a variable", `echo "::add-mask::$TOKEN"; echo "::add-mask::${{ steps.t.outputs.v }}"`, `echo "::add-mask::$TOKEN"; echo "::add-mask::${{ steps.t.outputs.v }}"`},
		// Secrets in a command's positional arguments or a tool's own shape.
		{"gh auth login --with-token here-string", "+ gh auth login --with-token <<< GhCliS3cretToken123", "+ gh auth login --with-token <<< [REDACTED:password]"},
		{"gh auth login --with-token from a pipe or a file", `echo "$GH_TOKEN" | gh auth login --with-token; gh auth login --with-token < token.txt`, `echo "$GH_TOKEN" | gh auth login --with-token; gh auth login --with-token < token.txt`},
		{"htpasswd -b", "+ htpasswd -b -c .htpasswd admin AdminS3cret", "+ htpasswd -b -c .htpasswd admin [REDACTED:password]"},
		{"htpasswd -nb", "+ htpasswd -nb admin AdminS3cret | kubectl create secret generic basic-auth --from-file=auth=/dev/stdin", "+ htpasswd -nb admin [REDACTED:password] | kubectl create secret generic basic-auth --from-file=auth=/dev/stdin"},
		{"htpasswd -Bbc", "htpasswd -Bbc /etc/nginx/.htpasswd ci 'Adm1n S3cret'", "htpasswd -Bbc /etc/nginx/.htpasswd ci [REDACTED:password]"},
		{"htpasswd prompts", "htpasswd -c .htpasswd admin 2>/dev/null; htpasswd -n admin > out", "htpasswd -c .htpasswd admin 2>/dev/null; htpasswd -n admin > out"},
		{"mc alias set", "+ mc alias set minio http://minio:9000 minioadmin MinioS3cretKey", "+ mc alias set minio http://minio:9000 minioadmin [REDACTED:password]"},
		{"mc config host add", "mc config host add s3 https://s3.amazonaws.com AKIAQWERTYUIOPASDFGH wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY --api S3v4", "mc config host add s3 https://s3.amazonaws.com [REDACTED:aws_access_key] [REDACTED:password] --api S3v4"},
		{"mc alias set variables", `mc alias set minio "$MINIO_URL" "$MINIO_USER" "$MINIO_PASSWORD"`, `mc alias set minio "$MINIO_URL" "$MINIO_USER" "$MINIO_PASSWORD"`},
		{"poetry http-basic", "+ poetry config http-basic.acme ci PoetryS3cret", "+ poetry config http-basic.acme ci [REDACTED:password]"},
		{"poetry pypi-token", "+ poetry config pypi-token.pypi PoetryTokenValue123", "+ poetry config pypi-token.pypi [REDACTED:password]"},
		{"poetry config other", "poetry config virtualenvs.create false", "poetry config virtualenvs.create false"},
		{"sqlplus user/password", "+ sqlplus -s system/OracleS3cret@//db:1521/XE @migrate.sql", "+ sqlplus -s system/[REDACTED:password]@//db:1521/XE @migrate.sql"},
		{"sqlplus / as sysdba", "sqlplus / as sysdba @x.sql", "sqlplus / as sysdba @x.sql"},
		{"lftp -u user,password", "+ lftp -u ci,LftpS3cret sftp://files.acme.dev", "+ lftp -u ci,[REDACTED:password] sftp://files.acme.dev"},
		{"lftp open -u in -e", `lftp -e "open -u ci,LftpS3cret ftp://h; mirror -R dist /www; quit"`, `lftp -e "open -u ci,[REDACTED:password] ftp://h; mirror -R dist /www; quit"`},
		{"lftp -u without password", "lftp -u ci sftp://files.acme.dev", "lftp -u ci sftp://files.acme.dev"},
		{"smbclient -U user%password", `+ smbclient //srv/share -U 'ACME\ci%SmbS3cret' -c ls`, `+ smbclient //srv/share -U 'ACME\ci%[REDACTED:password]' -c ls`},
		{"smbclient -U without password", `smbclient //srv/share -U ci -N -c ls`, `smbclient //srv/share -U ci -N -c ls`},
		{"rabbitmqctl add_user", "+ rabbitmqctl add_user ci RabbitS3cret", "+ rabbitmqctl add_user ci [REDACTED:password]"},
		{"rabbitmqctl change_password", "rabbitmqctl -n rabbit@mq change_password ci RabbitS3cret", "rabbitmqctl -n rabbit@mq change_password ci [REDACTED:password]"},
		{"rabbitmqctl set_user_tags", "rabbitmqctl set_user_tags ci administrator", "rabbitmqctl set_user_tags ci administrator"},
		{"google oauth access token", "+ gcloud auth print-access-token\nya29.a0AfB_byC1234567890abcdefghijklmnopqrstuvwxyzABCDEFG", "+ gcloud auth print-access-token\n[REDACTED:google_api_key]"},
		{"ya29 in a word", "xya29.a0AfB_byC1234567890abcdefghijklmnopqrstuvwxyzABCDEFG", "xya29.a0AfB_byC1234567890abcdefghijklmnopqrstuvwxyzABCDEFG"},
		{"ecr login password", "+ aws ecr get-login-password --region eu-west-1\neyJwYXlsb2FkIjoiQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLwQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLwQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==", "+ aws ecr get-login-password --region eu-west-1\n[REDACTED:password]"},
		{"ecr payload prefix alone", "eyJwYXlsb2FkIjoi is {\"payload\":\"", "eyJwYXlsb2FkIjoi is {\"payload\":\""},
		// A reviewer's third round.
		{"from-literal api-key=", "+ kubectl create secret generic x --from-literal=api-key=AbcS3cretKey1", "+ kubectl create secret generic x --from-literal=api-key=[REDACTED:password]"},
		{"api-key= too short", "api-key=none", "api-key=none"},
		{"Circle-Token header", `+ curl -H "Circle-Token: CircleS3cretToken123" https://circleci.com/api/v2/me`, `+ curl -H "Circle-Token: [REDACTED:authorization]" https://circleci.com/api/v2/me`},
		{"JOB-TOKEN header", `+ curl -H "JOB-TOKEN: JobS3cretToken1234" https://gitlab/api/v4/projects/1/packages`, `+ curl -H "JOB-TOKEN: [REDACTED:authorization]" https://gitlab/api/v4/projects/1/packages`},
		{"JOB-TOKEN header variable", `curl -H "JOB-TOKEN: $CI_JOB_TOKEN" https://gitlab/api`, `curl -H "JOB-TOKEN: $CI_JOB_TOKEN" https://gitlab/api`},
		{"X-JFrog-Art-Api header", `+ curl -H "X-JFrog-Art-Api: AKCp8abcdefghijklmnopqrstuvwxyz" https://acme.jfrog.io/`, `+ curl -H "X-JFrog-Art-Api: [REDACTED:authorization]" https://acme.jfrog.io/`},
		{"X-Auth-Key header", `+ curl -H "X-Auth-Key: CfS3cretKey123456" https://api.cloudflare.com/`, `+ curl -H "X-Auth-Key: [REDACTED:authorization]" https://api.cloudflare.com/`},
		{"job token in prose", "error: the JOB-TOKEN: header is missing", "error: the JOB-TOKEN: header is missing"},
		{"maven settings password", "      <password>MvnS3cret</password>", "      <password>[REDACTED:password]</password>"},
		{"xml token", "<token>XmlS3cretToken123</token>", "<token>[REDACTED:password]</token>"},
		{"xml passphrase", "<gpg.passphrase>GpgS3cret</gpg.passphrase>", "<gpg.passphrase>[REDACTED:password]</gpg.passphrase>"},
		{"xml password placeholder", "<password>${env.MVN_PASSWORD}</password><password></password>", "<password>${env.MVN_PASSWORD}</password><password></password>"},
		{"xml password element name", "<passwordPolicy>strict</passwordPolicy> <tokenizer>bert</tokenizer>", "<passwordPolicy>strict</passwordPolicy> <tokenizer>bert</tokenizer>"},
		{"ansible _pass", `+ ansible-playbook site.yml -e "ansible_become_pass=AnsS3cret ansible_ssh_pass=AnsS3cret2"`, `+ ansible-playbook site.yml -e "ansible_become_pass=[REDACTED:password] ansible_ssh_pass=[REDACTED:password]"`},
		{"lower-case _pass short", "first_pass=true second_pass=false", "first_pass=true second_pass=false"},
		{"MYSQL_PWD", "+ MYSQL_PWD=MyS3cret mysql -h db -u root", "+ MYSQL_PWD=[REDACTED:password] mysql -h db -u root"},
		{"OLDPWD", "OLDPWD=/home/runner/work PWD=/home/runner", "OLDPWD=/home/runner/work PWD=/home/runner"},
		{"echo to --password-stdin", `+ echo "S3cretValue123" | docker login -u ci --password-stdin r.io`, `+ echo "[REDACTED:password]" | docker login -u ci --password-stdin r.io`},
		{"echo to sudo -S", "+ echo 'S3cretPw' | sudo -S apt-get update", "+ echo '[REDACTED:password]' | sudo -S apt-get update"},
		{"echo to chpasswd", `+ echo "ci:ChpassS3cret" | chpasswd`, `+ echo "[REDACTED:password]" | chpasswd`},
		{"echo a variable to --password-stdin", `echo "$PW" | docker login --password-stdin; echo ${{ secrets.PW }} | gh auth login --with-token`, `echo "$PW" | docker login --password-stdin; echo ${{ secrets.PW }} | gh auth login --with-token`},
		{"echo then grep", `echo "hello world" | grep -c o && docker login --password-stdin <<< $PW`, `echo "hello world" | grep -c o && docker login --password-stdin <<< $PW`},
		{"--account-key", "+ az storage blob upload --account-name acme --account-key AzS3cretAccountKey== -f x", "+ az storage blob upload --account-name acme --account-key [REDACTED:password] -f x"},
		{"--secret-key", "+ tool --secret-key S3cretKey123 --region x", "+ tool --secret-key [REDACTED:password] --region x"},
		{"--client-key is a path", "kubectl config set-credentials ci --client-key=/tmp/k.pem --client-certificate=/tmp/c.pem", "kubectl config set-credentials ci --client-key=/tmp/k.pem --client-certificate=/tmp/c.pem"},
		{"single-dash -token", "+ consul members -token ConsulS3cretToken", "+ consul members -token [REDACTED:password]"},
		{"single-dash -token, nomad", "+ nomad job run -token NomadS3cretToken job.hcl", "+ nomad job run -token [REDACTED:password] job.hcl"},
		{"-token inside a word", "refresh-token expired123 and id-token received", "refresh-token expired123 and id-token received"},
		{"jenkins-cli -auth", "+ java -jar jenkins-cli.jar -s https://ci.acme.dev/ -auth ci:11abcdef0123456789abcdef0123456789 build job", "+ java -jar jenkins-cli.jar -s https://ci.acme.dev/ -auth ci:[REDACTED:password] build job"},
		{"jenkins-cli -auth @file", "java -jar jenkins-cli.jar -auth @/run/creds build job", "java -jar jenkins-cli.jar -auth @/run/creds build job"},
		{"vercel env add here-string", `+ vercel env add SECRET_KEY production <<< "VercelS3cret"`, `+ vercel env add SECRET_KEY production <<< [REDACTED:password]`},
		{"sql ALTER USER PASSWORD", `+ sudo -u postgres psql -c "ALTER USER app WITH PASSWORD 'PgAlterS3cret';"`, `+ sudo -u postgres psql -c "ALTER USER app WITH PASSWORD '[REDACTED:password]';"`},
		{"sql IDENTIFIED BY", `+ mysql -e "CREATE USER 'app'@'%' IDENTIFIED BY 'MyCreateS3cret';"`, `+ mysql -e "CREATE USER 'app'@'%' IDENTIFIED BY '[REDACTED:password]';"`},
		{"sql IDENTIFIED WITH … BY", `ALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY 'MyNative1';`, `ALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY '[REDACTED:password]';`},
		{"sql CREATE ROLE PASSWORD", `+ psql -c "CREATE ROLE ci LOGIN PASSWORD 'PgRoleS3cret'"`, `+ psql -c "CREATE ROLE ci LOGIN PASSWORD '[REDACTED:password]'"`},
		{"sql PASSWORD NULL and variables", `ALTER ROLE ci PASSWORD NULL; CREATE USER x WITH PASSWORD :'pw'; IDENTIFIED BY '$DB_PASSWORD'`, `ALTER ROLE ci PASSWORD NULL; CREATE USER x WITH PASSWORD :'pw'; IDENTIFIED BY '$DB_PASSWORD'`},
		{"go flag help -token string", "  -token string\n    \tACL token to use\n  -password string", "  -token string\n    \tACL token to use\n  -password string"},
		{"sts xml SecretAccessKey", "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>", "<SecretAccessKey>[REDACTED:password]</SecretAccessKey>"},
		// Base64 that kubectl get secret -o yaml and kubectl config view --raw print.
		{"kubernetes tls.key", "  tls.key: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdTFTVTFMZlZMUEhDb3pNeEgyTW80bGdPRWVQek5tMHRSZ2VMZXpWNmZmQXQwZ3VuCi0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg==", "  tls.key: [REDACTED:private_key]"},
		{"kubeconfig client-key-data", "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdTFTVTFMZlZMUEhDb3pNeEgyTW80bGdPRWVQek5tMHRSZ2VMZXpWNmZmQXQwZ3VuCi0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg==", "    client-key-data: [REDACTED:private_key]"},
		{"kubernetes tls.crt stays", "  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURkekNDQWwrZ0F3SUJBZ0lFQWdBQXVUQU5CZ2txaGtpRzl3MEJBUVVGQURCYU1Rc3dDUVlEVlFRR0V3SkoKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=", "  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURkekNDQWwrZ0F3SUJBZ0lFQWdBQXVUQU5CZ2txaGtpRzl3MEJBUVVGQURCYU1Rc3dDUVlEVlFRR0V3SkoKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="},
		{"kubernetes .dockerconfigjson", "  .dockerconfigjson: eyJhdXRocyI6eyJnaGNyLmlvIjp7ImF1dGgiOiJZMms2YzJWamNtVjBjR0Z6YzNkdmNtUT0ifX19", "  .dockerconfigjson: [REDACTED:password]"},
		// Vendor tokens by their prefix.
		{"docker hub pat", "+ docker login -u ci --password-stdin <<< dckr_pat_riGp-58WAm_dX3a5IDnOdcdbWB2", "+ docker login -u ci --password-stdin <<< [REDACTED:vendor_token]"},
		{"docker hub pat bare", "token dckr_pat_riGp-58WAm_dX3a5IDnOdcdbWB2 expired", "token [REDACTED:vendor_token] expired"},
		{"terraform cloud token", "TFE_TOKEN hTnTRtegozuF7g.atlasv1.9lcdZMb4WnRcFTH0U94NCvQ1rhNSlgozoFCyWkop0sDJLynCTqvFLh6nfcaZa2Eu4y2", "TFE_TOKEN [REDACTED:vendor_token]"},
		{"age secret key", "# created: 2026\nAGE-SECRET-KEY-1LD8M68J30CQVUPP0SDTJFV3NSU2KL68DCDJXP8QJGYHNMK5Q8UUKNE4L8C", "# created: 2026\n[REDACTED:vendor_token]"},
		{"vendor prefixes in prose", "docker pull x; pulumi up; dckr_pat_ tokens; AGE-SECRET-KEY-1 keys; squ_short; tskey-auth; glc_x", "docker pull x; pulumi up; dckr_pat_ tokens; AGE-SECRET-KEY-1 keys; squ_short; tskey-auth; glc_x"},
		{"vendor prefix inside a word", "xdckr_pat_riGp-58WAm_dX3a5IDnOdcdbWB2 spul-8589eaff309cad68386d070c415ed7e70cad1946", "xdckr_pat_riGp-58WAm_dX3a5IDnOdcdbWB2 spul-8589eaff309cad68386d070c415ed7e70cad1946"},
		// A command that prints a secret, and the line it printed.
		{"vault -field=password output", "+ vault kv get -field=password secret/db\nS3cretFromVault+ next", "+ vault kv get -field=password secret/db\n[REDACTED:password]+ next"},
		{"vault output on a line of its own", "+ vault kv get -field=password secret/db\nS3cretFromVault\n+ next", "+ vault kv get -field=password secret/db\n[REDACTED:password]\n+ next"},
		{"terraform output glued to xtrace", "+ terraform output -raw db_password\nhunter22hunter+ echo done", "+ terraform output -raw db_password\n[REDACTED:password]+ echo done"},
		{"terraform output glued to gitlab's next command", "\x1b[32;1m$ terraform output -raw db_password\x1b[0;m\nhunter22hunter\x1b[32;1m$ echo ok\x1b[0;m", "\x1b[32;1m$ terraform output -raw db_password\x1b[0;m\n[REDACTED:password]\x1b[32;1m$ echo ok\x1b[0;m"},
		{"base64 output with + glued to xtrace", "+ vault kv get -field=password secret/db\nS3cr+t/ab==+ echo done", "+ vault kv get -field=password secret/db\n[REDACTED:password]+ echo done"},
		{"terraform output -raw password", "2026-12-06T10:00:00.000Z + terraform output -raw db_password\n2026-12-06T10:00:00.100Z TfOutS3cret", "2026-12-06T10:00:00.000Z + terraform output -raw db_password\n2026-12-06T10:00:00.100Z [REDACTED:password]"},
		{"kubectl secret base64 -d output glued", "+ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\nK8sS3cret\x1b[0K\x1b[32;1m$ make\x1b[0;m", "+ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\n[REDACTED:password]\x1b[0K\x1b[32;1m$ make\x1b[0;m"},
		{"kubectl secret base64 -d output", "+ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\nK8sS3cret\r\n", "+ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\n[REDACTED:password]\r\n"},
		{"aws secretsmanager text output", "+ aws secretsmanager get-secret-value --secret-id db --query SecretString --output text\nAwsSmS3cret", "+ aws secretsmanager get-secret-value --secret-id db --query SecretString --output text\n[REDACTED:password]"},
		{"gcloud secrets access output", "+ gcloud secrets versions access latest --secret db-password\nGcpS3cret+ ./deploy.sh", "+ gcloud secrets versions access latest --secret db-password\n[REDACTED:password]+ ./deploy.sh"},
		{"secret command then a glued error", "+ vault kv get -field=password secret/db\nError reading secret/db+ echo x", "+ vault kv get -field=password secret/db\nError reading secret/db+ echo x"},
		{"op read output", "+ op read op://ci/db/password\nOpS3cret", "+ op read op://ci/db/password\n[REDACTED:password]"},
		{"az keyvault tsv output", "+ az keyvault secret show --vault-name kv --name db --query value -o tsv\nAzKvS3cret", "+ az keyvault secret show --vault-name kv --name db --query value -o tsv\n[REDACTED:password]"},
		{"secret command redirected", "+ vault kv get -field=password secret/db > /run/pw\nmake", "+ vault kv get -field=password secret/db > /run/pw\nmake"},
		{"secret command then xtrace", "+ terraform output -raw db_password\n+ echo done", "+ terraform output -raw db_password\n+ echo done"},
		{"secret command then json", "+ aws secretsmanager get-secret-value --secret-id db --output text\n{", "+ aws secretsmanager get-secret-value --secret-id db --output text\n{"},
		{"secret command then an error", "vault kv get -field=password secret/db\nError reading secret/db: permission denied", "vault kv get -field=password secret/db\nError reading secret/db: permission denied"},
		{"terraform output -raw ip", "+ terraform output -raw instance_ip\n10.0.0.1", "+ terraform output -raw instance_ip\n10.0.0.1"},
		{"vault -field=username", "+ vault kv get -field=username secret/db\nci-user", "+ vault kv get -field=username secret/db\nci-user"},
		{"terraform -chdir output", "+ terraform -chdir=infra output -raw db_password\nhunter22hunter+ echo done", "+ terraform -chdir=infra output -raw db_password\n[REDACTED:password]+ echo done"},
		{"terraform output -no-color -raw", "+ terraform output -no-color -raw db_password\nTfS3cret99", "+ terraform output -no-color -raw db_password\n[REDACTED:password]"},
		{"tofu output -raw", "+ tofu output -raw api_token\nTfS3cret99+ make", "+ tofu output -raw api_token\n[REDACTED:password]+ make"},
		{"vault -field with a space or quotes", "+ vault kv get -field password secret/db\nS3cretVault\n+ vault kv get -field=\"password\" secret/db\nS3cretVault2", "+ vault kv get -field password secret/db\n[REDACTED:password]\n+ vault kv get -field=\"password\" secret/db\n[REDACTED:password]"},
		{"secret command with stderr redirected", "+ vault kv get -field=password secret/db 2>/dev/null\nS3cretVault\n+ aws secretsmanager get-secret-value --secret-id db --query SecretString --output text 2>&1\nAwsS3cret", "+ vault kv get -field=password secret/db 2>/dev/null\n[REDACTED:password]\n+ aws secretsmanager get-secret-value --secret-id db --query SecretString --output text 2>&1\n[REDACTED:password]"},
		{"azure isSecret in any case", "##vso[task.setvariable variable=DB_PASSWORD;isSecret=true]S3cretVso\n##vso[task.setvariable variable=X;issecret=True]S3cretVso2", "##vso[task.setvariable variable=DB_PASSWORD;isSecret=true][REDACTED:password]\n##vso[task.setvariable variable=X;issecret=True][REDACTED:password]"},
		{"secret command output to a file or a variable", "+ vault kv get -field=password secret/db >/run/pw 2>&1\nmake\nPW=$(vault kv get -field=password secret/db)\n./deploy.sh", "+ vault kv get -field=password secret/db >/run/pw 2>&1\nmake\nPW=$(vault kv get -field=password secret/db)\n./deploy.sh"},
		{"github script echo of a captured secret", "\x1b[36;1mPW=$(vault kv get -field=password secret/db)\x1b[0m\n\x1b[36;1m./deploy.sh\x1b[0m\n2026-12-06T10:00:00.0000000Z \x1b[36;1mexport TOKEN=`vault read -field=token auth/x`\x1b[0m\n2026-12-06T10:00:00.0000000Z make", "\x1b[36;1mPW=$(vault kv get -field=password secret/db)\x1b[0m\n\x1b[36;1m./deploy.sh\x1b[0m\n2026-12-06T10:00:00.0000000Z \x1b[36;1mexport TOKEN=`vault read -field=token auth/x`\x1b[0m\n2026-12-06T10:00:00.0000000Z make"},
		{"terraform outputs that name no secret", "+ terraform output -raw kms_key_arn\narn:aws:kms:eu-west-1:123456789012:key/abcd\n+ terraform output -raw key_vault_name\nkv-prod-01\n+ terraform output -raw ssh_key_name\ndeploy-key\n+ terraform output -raw secrets_bucket\nacme-secrets\n+ terraform output -raw db_secret_id\nsecret-123", "+ terraform output -raw kms_key_arn\narn:aws:kms:eu-west-1:123456789012:key/abcd\n+ terraform output -raw key_vault_name\nkv-prod-01\n+ terraform output -raw ssh_key_name\ndeploy-key\n+ terraform output -raw secrets_bucket\nacme-secrets\n+ terraform output -raw db_secret_id\nsecret-123"},
		{"terraform outputs that name a secret", "+ terraform output -raw client_secret\nCs3cretXyz\n+ terraform output -raw storage_primary_access_key\nSak3yXyz==", "+ terraform output -raw client_secret\n[REDACTED:password]\n+ terraform output -raw storage_primary_access_key\n[REDACTED:password]"},
		{"az keyvault query of an id", "+ az keyvault secret show --vault-name kv --name db -o tsv --query id\nhttps://kv.vault.azure.net/secrets/db/0123abcd\n+ aws secretsmanager get-secret-value --secret-id db --query ARN --output text\narn:aws:secretsmanager:eu-west-1:1:secret:db", "+ az keyvault secret show --vault-name kv --name db -o tsv --query id\nhttps://kv.vault.azure.net/secrets/db/0123abcd\n+ aws secretsmanager get-secret-value --secret-id db --query ARN --output text\narn:aws:secretsmanager:eu-west-1:1:secret:db"},
		{"az keyvault query of the value", "+ az keyvault secret show --vault-name kv --name db --query value -o tsv\nAzKvS3cret", "+ az keyvault secret show --vault-name kv --name db --query value -o tsv\n[REDACTED:password]"},
		// A presigned URL's signature grants its access until it expires.
		{"s3 presigned url", "PUT https://b.s3.amazonaws.com/x.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261206T100000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 200", "PUT https://b.s3.amazonaws.com/x.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261206T100000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=[REDACTED:signed_url] 200"},
		{"gcs signed url", "https://storage.googleapis.com/a/b?X-Goog-Expires=900&X-Goog-Signature=8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7&x=1", "https://storage.googleapis.com/a/b?X-Goog-Expires=900&X-Goog-Signature=[REDACTED:signed_url]&x=1"},
		{"cloudfront signed url", "https://d1.cloudfront.net/x.tgz?Expires=1767225600&Signature=nitfHRCrtziwO2HwPfWw~yYDhUF5EwRunQA-j19DzZrvDh6hQ73lDx~-ar3Uocvv&Key-Pair-Id=K2JCJMDEHXQW5F", "https://d1.cloudfront.net/x.tgz?Expires=1767225600&Signature=[REDACTED:signed_url]&Key-Pair-Id=K2JCJMDEHXQW5F"},
		{"signature words", "X-Amz-SignedHeaders=host Signature=invalid the ?Signature= parameter", "X-Amz-SignedHeaders=host Signature=invalid the ?Signature= parameter"},
		{"azure setvariable issecret", "+ echo '##vso[task.setvariable variable=DB_PASSWORD;issecret=true]S3cretVso'", "+ echo '##vso[task.setvariable variable=DB_PASSWORD;issecret=true][REDACTED:password]'"},
		{"azure setsecret", "##vso[task.setsecret]S3cretVso2", "##vso[task.setsecret][REDACTED:password]"},
		{"azure setvariable not secret or a macro", "##vso[task.setvariable variable=VERSION]1.2.3\n##vso[task.setvariable variable=X;issecret=true]$(X)", "##vso[task.setvariable variable=VERSION]1.2.3\n##vso[task.setvariable variable=X;issecret=true]$(X)"},
		{"set-output of a token", `+ echo "::set-output name=token::abc123def456"`, `+ echo "::set-output name=token::[REDACTED:password]"`},
		{"set-output of a version", "::set-output name=version::1.2.3", "::set-output name=version::1.2.3"},
		{"setup-java names the variables", "2024-05-01T10:00:09.9650009Z   server-password: GITHUB_TOKEN\n  server-username: MAVEN_USERNAME\n  gpg-passphrase: MAVEN_GPG_PASSPHRASE", "2024-05-01T10:00:09.9650009Z   server-password: GITHUB_TOKEN\n  server-username: MAVEN_USERNAME\n  gpg-passphrase: MAVEN_GPG_PASSPHRASE"},
		{"upper-case passwords still go", "password: HUNTER2HUNTER2\npassword=PASSWORD123\npassword: TOKEN-ABC_DEF", "password: [REDACTED:password]\npassword=[REDACTED:password]\npassword: [REDACTED:password]"},
		{"env dump of a variable-like password", "MYSQL_ROOT_PASSWORD=ROOT_PASSWORD_123\nDB_PASSWORD=SUPER_SECRET_KEY_9\nDB_PASSWORD=MAVEN_PASSWORD", "MYSQL_ROOT_PASSWORD=[REDACTED:password]\nDB_PASSWORD=[REDACTED:password]\nDB_PASSWORD=[REDACTED:password]"},
		{"flag of a variable-like password", "--password ADMIN_PASSWORD_1 --token GITHUB_TOKEN", "--password [REDACTED:password] --token [REDACTED:password]"},
		{"yaml variable-like password with digits", "api_key: PROD_KEY_7F3A9\npassword: ADMIN_PASS_2024\n  db_password: DB_PASSWORD", "api_key: [REDACTED:password]\npassword: [REDACTED:password]\n  db_password: [REDACTED:password]"},
		{"action inputs name variables", "  server-password: OSSRH_TOKEN\n  gpg-private-key: GPG_PRIVATE_KEY\n  password: REGISTRY_PASSWORD", "  server-password: OSSRH_TOKEN\n  gpg-private-key: GPG_PRIVATE_KEY\n  password: REGISTRY_PASSWORD"},
		{"colored password value", "password: \x1b[32mhunter2hunter\x1b[0m\nDB_PASSWORD=\x1b[33mhunter2hunter\x1b[0m", "password: \x1b[32m[REDACTED:password]\x1b[0m\nDB_PASSWORD=\x1b[33m[REDACTED:password]\x1b[0m"},
		{"colored command password", "docker login -p \x1b[1mhunter2hunter\x1b[0m r.io\nmysql -p\x1b[0mhunter2hunter -e x", "docker login -p \x1b[1m[REDACTED:password]\x1b[0m r.io\nmysql -p\x1b[0m[REDACTED:password] -e x"},
		{"colored near misses", "docker login -p \x1b[1m$PW\x1b[0m r.io\nmysql -p\x1b[0m mydb\nDB_PASSWORD=\x1b[33mshort\x1b[0m\npassword: \x1b[1m***\x1b[0m", "docker login -p \x1b[1m$PW\x1b[0m r.io\nmysql -p\x1b[0m mydb\nDB_PASSWORD=\x1b[33mshort\x1b[0m\npassword: \x1b[1m***\x1b[0m"},
		{"add-mask of a command boundary", "docker login ::add-mask::| x -pX", "docker login ::add-mask::| x -pX"},
		{"add-mask value with a pipe", "+ echo '::add-mask::p|w&x;y'", "+ echo '::add-mask::[REDACTED:password]'"},
		{"url password starting with $", "git clone https://ci:$ecretPw9@git.x/r.git", "git clone https://ci:[REDACTED:url_password]@git.x/r.git"},
		{"url password variables", "https://ci:$CI_JOB_TOKEN@git.x/r.git https://ci:${GITLAB_TOKEN}@git.x https://ci:$gitlab_token@git.x https://u:${password}@h", "https://ci:$CI_JOB_TOKEN@git.x/r.git https://ci:${GITLAB_TOKEN}@git.x https://ci:$gitlab_token@git.x https://u:${password}@h"},
		{"signed url in json", `{"url":"https://b.s3.amazonaws.com/x?X-Amz-Date=20261206T100000Z\u0026X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0\u0026x=1"}`, `{"url":"https://b.s3.amazonaws.com/x?X-Amz-Date=20261206T100000Z\u0026X-Amz-Signature=[REDACTED:signed_url]\u0026x=1"}`},
		{"signed url in html", `<a href="https://b.s3.amazonaws.com/x?X-Amz-Date=1&amp;X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0&amp;x=1">`, `<a href="https://b.s3.amazonaws.com/x?X-Amz-Date=1&amp;X-Amz-Signature=[REDACTED:signed_url]&amp;x=1">`},
		{"signed url inside a url", "https://ci.x/redirect?to=https%3A%2F%2Fb.s3.amazonaws.com%2Fx%3FX-Amz-Date%3D1%26X-Amz-Signature%3D0f1e2d3c4b5a69788796a5b4c3d2e1f0%26x%3D1", "https://ci.x/redirect?to=https%3A%2F%2Fb.s3.amazonaws.com%2Fx%3FX-Amz-Date%3D1%26X-Amz-Signature%3D[REDACTED:signed_url]%26x%3D1"},
		{"escaped signature words", `Signature%3Dinvalid \u0026Signature=short`, `Signature%3Dinvalid \u0026Signature=short`},
		{"mc alias set continued", "mc alias set s3 https://x \\\n  AKEY s3cr3tpw\n\x1b[36;1mmc alias set s3 https://x \\\x1b[0m\n\x1b[36;1m  AKEY s3cr3tpw2\x1b[0m", "mc alias set s3 https://x \\\n  AKEY [REDACTED:password]\n\x1b[36;1mmc alias set s3 https://x \\\x1b[0m\n\x1b[36;1m  AKEY [REDACTED:password]\x1b[0m"},
		{"htpasswd continued", "htpasswd -Bbc \\\n  /etc/nginx/.htpasswd ci s3cr3tpw\nhtpasswd -nb \\\n  ci \\\n  s3cr3tpw2", "htpasswd -Bbc \\\n  /etc/nginx/.htpasswd ci [REDACTED:password]\nhtpasswd -nb \\\n  ci \\\n  [REDACTED:password]"},
		{"flag and value on continued lines", "docker login -u ci -p \\\n  s3cr3tpw r.io\ncurl -u \\\n  ci:s3cr3tpw https://x\ncurl --user \\\n  ci:s3cr3tpw2 https://x", "docker login -u ci -p \\\n  [REDACTED:password] r.io\ncurl -u \\\n  ci:[REDACTED:password] https://x\ncurl --user \\\n  ci:[REDACTED:password] https://x"},
		{"continued positional near misses", "htpasswd -c \\\n  file ci\ndocker login -p \\\n  $PW r.io\ncurl -u \\\n  ci https://x\nmc alias set s3 https://x \\\n  $AK $SK\nmc alias set s3 https://x\n  AKEY notmc", "htpasswd -c \\\n  file ci\ndocker login -p \\\n  $PW r.io\ncurl -u \\\n  ci https://x\nmc alias set s3 https://x \\\n  $AK $SK\nmc alias set s3 https://x\n  AKEY notmc"},
		{"set-output of a secret's metadata", "::set-output name=token_expires_at::2024-05-01T10:00:00Z\n::set-output name=secret_name::prod-db\n::set-output name=api_token::S3cretOut", "::set-output name=token_expires_at::2024-05-01T10:00:00Z\n::set-output name=secret_name::prod-db\n::set-output name=api_token::[REDACTED:password]"},
		{"a flag's CRLF continuation seen alone", "docker login -u ci -p \\\r", "docker login -u ci -p \\\r"},
		{"a flag's colored continuation seen alone", "\x1b[36;1mdocker login -u ci -p \\\x1b[0m", "\x1b[36;1mdocker login -u ci -p \\\x1b[0m"},
		{"an empty value given to a command", "aws configure set aws_session_token \"\"\ndocker login -u ci -p '' r.io", "aws configure set aws_session_token \"\"\ndocker login -u ci -p '' r.io"},
		{"a value after empty quotes still goes", "docker login -u ci -p ''s3cr3t r.io", "docker login -u ci -p [REDACTED:password] r.io"},
		// PowerShell's backtick and cmd's ^ continue a command as a backslash does.
		{"powershell backtick continued", "docker login `\n  -u ci `\n  -p s3cr3tpw `\n  r.io\ncurl.exe -sS `\r\n  -u deploy:s3cr3t2 `\r\n  https://x\r\n", "docker login `\n  -u ci `\n  -p [REDACTED:password] `\n  r.io\ncurl.exe -sS `\r\n  -u deploy:[REDACTED:password] `\r\n  https://x\r\n"},
		{"cmd caret continued", "curl -sS ^\r\n  -u deploy:s3cr3t ^\r\n  https://x\r\nmysql -h db ^\n  -pS3cr3tRoot", "curl -sS ^\r\n  -u deploy:[REDACTED:password] ^\r\n  https://x\r\nmysql -h db ^\n  -p[REDACTED:password]"},
		{"powershell continued, colored by GitHub", "\x1b[36;1mdocker login `\x1b[0m\n\x1b[36;1m  -p s3cr3tpw r.io\x1b[0m", "\x1b[36;1mdocker login `\x1b[0m\n\x1b[36;1m  -p [REDACTED:password] r.io\x1b[0m"},
		{"flag and positional values on backtick and caret lines", "docker login -u ci -p `\n  s3cr3tpw r.io\nmc alias set s3 https://x ^\n  AKEY s3cr3tpw2\nhtpasswd -nb `\n  ci `\n  s3cr3tpw3", "docker login -u ci -p `\n  [REDACTED:password] r.io\nmc alias set s3 https://x ^\n  AKEY [REDACTED:password]\nhtpasswd -nb `\n  ci `\n  [REDACTED:password]"},
		{"a flag's backtick continuation seen alone", "docker login -u ci -p `", "docker login -u ci -p `"},
		{"a flag's caret continuation seen alone", "docker login -u ci -p ^\r", "docker login -u ci -p ^\r"},
		{"a flag's colored backtick continuation seen alone", "\x1b[36;1mdocker login -p `\x1b[0m", "\x1b[36;1mdocker login -p `\x1b[0m"},
		{"backtick and caret near misses", "run `curl https://x`\n-u deploy:s3cr3t\ncurl https://x^\n-u deploy:s3cr3t\ncurl -H \"a^b\" https://x\n  -u deploy:s3cr3t\ncurl https://x ` y\n  -u deploy:s3cr3t\ndocker login ^ r.io\n  -p s3cr3tpw", "run `curl https://x`\n-u deploy:s3cr3t\ncurl https://x^\n-u deploy:s3cr3t\ncurl -H \"a^b\" https://x\n  -u deploy:s3cr3t\ncurl https://x ` y\n  -u deploy:s3cr3t\ndocker login ^ r.io\n  -p s3cr3tpw"},
		{"a password ending in ^ or a backtick", "docker login -p pw^\n  r.io\nsshpass -p 'pw `' ssh h", "docker login -p [REDACTED:password]\n  r.io\nsshpass -p [REDACTED:password] ssh h"},
		// A token at a colored line's start: the color's m is a word character.
		{"token at a colored line's start", "\x1b[36;1mghp_" + strings.Repeat("a", 36) + "\x1b[0m\n2026-12-06T10:00:00.0000000Z \x1b[36;1mAKIAQWERTYUIOPASDFGH\x1b[0m\n\x1b[32;1mglpat-abcdefghijklmnopqrst\x1b[0;m\n\x1b[1m\x1b[33mnpm_" + strings.Repeat("b", 36), "\x1b[36;1m[REDACTED:github_token]\x1b[0m\n2026-12-06T10:00:00.0000000Z \x1b[36;1m[REDACTED:aws_access_key]\x1b[0m\n\x1b[32;1m[REDACTED:gitlab_token]\x1b[0;m\n\x1b[1m\x1b[33m[REDACTED:npm_token]"},
		{"token after another escape", "\x1b[0Kghp_" + strings.Repeat("a", 36) + "\n\x1b[2Kghp_" + strings.Repeat("b", 36) + "\n\x1b[?25lAKIAQWERTYUIOPASDFGH\n\x1b[0K\x1b[32;1mglpat-abcdefghijklmnopqrst\x1b[0;m\n\x1b[0Kdocker login -u ci -p s3cr3tpw r.io", "\x1b[0K[REDACTED:github_token]\n\x1b[2K[REDACTED:github_token]\n\x1b[?25l[REDACTED:aws_access_key]\n\x1b[0K\x1b[32;1m[REDACTED:gitlab_token]\x1b[0;m\n\x1b[0Kdocker login -u ci -p [REDACTED:password] r.io"},
		{"escaped token near misses", "\x1b[0Kxghp_" + strings.Repeat("a", 36) + " \x1b[2KAKIAQWERTYUIOPASDFG \x1b[0Khf_hub_download", "\x1b[0Kxghp_" + strings.Repeat("a", 36) + " \x1b[2KAKIAQWERTYUIOPASDFG \x1b[0Khf_hub_download"},
		{"colored token near misses", "\x1b[36;1mxghp_" + strings.Repeat("a", 36) + "\x1b[0m \x1b[1mAKIAQWERTYUIOPASDFG \x1b[1;31mhf_hub_download", "\x1b[36;1mxghp_" + strings.Repeat("a", 36) + "\x1b[0m \x1b[1mAKIAQWERTYUIOPASDFG \x1b[1;31mhf_hub_download"},
		// Cookies: each value goes, the names and a Set-Cookie's attributes stay.
		{"cookie header", "> Cookie: lang=en; session=9f8e7d6c5b4a3928; csrftoken=Zx81kq0aBcDeFgHi", "> Cookie: lang=en; session=[REDACTED:authorization]; csrftoken=[REDACTED:authorization]"},
		{"set-cookie header", "< set-cookie: connect.sid=s%3Aabc123def456.sig; Path=/; Domain=.example.com; Max-Age=86400; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly", "< set-cookie: connect.sid=[REDACTED:authorization]; Path=/; Domain=.example.com; Max-Age=86400; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly"},
		{"curl -H Cookie", "curl -sS -H 'Cookie: sessionid=abcdef123456; theme=dark' https://x", "curl -sS -H 'Cookie: sessionid=[REDACTED:authorization]; theme=dark' https://x"},
		{"curl --cookie and -b", `curl --cookie 'sid=abcdef123456; lang=en' https://x && curl -b "PHPSESSID=a1b2c3d4e5f6" -u u:pw https://y && curl -b sid=abcdef123456 z`, `curl --cookie 'sid=[REDACTED:authorization]; lang=en' https://x && curl -b "PHPSESSID=[REDACTED:authorization]" -u u:[REDACTED:password] https://y && curl -b sid=[REDACTED:authorization] z`},
		{"cookie in a json dump", `{"headers": {"Cookie": "token=abcdef123456", "Accept": "*/*"}}`, `{"headers": {"Cookie": "token=[REDACTED:authorization]", "Accept": "*/*"}}`},
		{"cookie near misses", "curl -b cookies.txt -c jar.txt --cookie-jar j https://x\ngit checkout -b feature=x1\nrsync -b --backup-dir=/var/backups/x a b\nerror: Cookie: header too large\ncurl -b \"sid=$SESSION_ID\" --cookie 'a=***' -H 'Cookie: s=${{ secrets.S }}' x\nSet-Cookie: id=; Path=/; SameSite=Strict", "curl -b cookies.txt -c jar.txt --cookie-jar j https://x\ngit checkout -b feature=x1\nrsync -b --backup-dir=/var/backups/x a b\nerror: Cookie: header too large\ncurl -b \"sid=$SESSION_ID\" --cookie 'a=***' -H 'Cookie: s=${{ secrets.S }}' x\nSet-Cookie: id=; Path=/; SameSite=Strict"},
		// -b is curl's cookie option only: case-sensitive, with curl earlier in the command.
		{"-b and -B of other commands", "make -B PREFIX=/usr/local install\nmake -B CC=clang-15 CFLAGS=-O2\ngit checkout -B release=candidate\nsort -b key=value-list\ncurl -sS https://x | sort -b key=value-list\ncurl -B sid=abcdef123456 https://x", "make -B PREFIX=/usr/local install\nmake -B CC=clang-15 CFLAGS=-O2\ngit checkout -B release=candidate\nsort -b key=value-list\ncurl -sS https://x | sort -b key=value-list\ncurl -B sid=abcdef123456 https://x"},
		{"curl's -b still goes", "curl -H 'X: a;b|c' -b sid=abcdef123456 https://x\ncurl -sS \\\n  -b 'sid=abcdef123456; lang=en-US-x' \\\n  https://x\n\x1b[36;1mcurl.exe -b sid=abcdef123456\x1b[0m", "curl -H 'X: a;b|c' -b sid=[REDACTED:authorization] https://x\ncurl -sS \\\n  -b 'sid=[REDACTED:authorization]; lang=[REDACTED:authorization]' \\\n  https://x\n\x1b[36;1mcurl.exe -b sid=[REDACTED:authorization]\x1b[0m"},
		// A cookie's further pairs are read only after a cookie, and not past a closing quote
		// or an unquoted -b's ; (the shell's).
		{"no cookie pairs after a token or a command's end", "Authorization: Bearer abcdefghijklmnop; charset=utf-8-variant\ncurl -b sid=abcdef123456; RESULT=passed-all; echo $RESULT\ncurl -b 'sid=abcdef123456'; RESULT=passed-all\ncurl --cookie sid=abcdef123456; STATUS=finished-ok", "Authorization: Bearer [REDACTED:authorization]; charset=utf-8-variant\ncurl -b sid=[REDACTED:authorization]; RESULT=passed-all; echo $RESULT\ncurl -b 'sid=[REDACTED:authorization]'; RESULT=passed-all\ncurl --cookie sid=[REDACTED:authorization]; STATUS=finished-ok"},
		{"bundled -b and quoted cookie values", "curl -sSb 'sid=abcdef123456' https://x\ncurl -Lb sid=abcdef123456 https://x\nCookie: sid=\"abcdef123456\"; lang=\"en\"; csrf=\"qwertyuiop12\"\ncurl -H 'Cookie: sid=\"abcdef123456\"' https://x; NEXT=finished-ok", "curl -sSb 'sid=[REDACTED:authorization]' https://x\ncurl -Lb sid=[REDACTED:authorization] https://x\nCookie: sid=\"[REDACTED:authorization]\"; lang=\"en\"; csrf=\"[REDACTED:authorization]\"\ncurl -H 'Cookie: sid=\"[REDACTED:authorization]\"' https://x; NEXT=finished-ok"},
		{"bundled -b near misses", "tar -xvzb 20 -f a.tar\nls -lb name=value-list\ncurl -sSb cookies.txt https://x", "tar -xvzb 20 -f a.tar\nls -lb name=value-list\ncurl -sSb cookies.txt https://x"},
		// Help and usage texts name a positional secret with a placeholder: no secret.
		{"mc usage", "USAGE:\n  mc alias set ALIAS URL ACCESSKEY SECRETKEY\n  mc alias set ALIAS URL [ACCESSKEY] [SECRETKEY]\n  mc config host add ALIAS URL ACCESS_KEY SECRET_KEY", "USAGE:\n  mc alias set ALIAS URL ACCESSKEY SECRETKEY\n  mc alias set ALIAS URL [ACCESSKEY] [SECRETKEY]\n  mc config host add ALIAS URL ACCESS_KEY SECRET_KEY"},
		{"rabbitmqctl usage", "Usage: rabbitmqctl [--node <node>] add_user <username> <password>\n  rabbitmqctl change_password <username> <new_password>\n  rabbitmqctl add_user '<username>' '<password>'", "Usage: rabbitmqctl [--node <node>] add_user <username> <password>\n  rabbitmqctl change_password <username> <new_password>\n  rabbitmqctl add_user '<username>' '<password>'"},
		{"command placeholders", "htpasswd -b file user [password]\ndocker login -u USER -p PASSWORD REGISTRY\nsshpass -p '<password>' ssh host\ncurl -u USER:API_TOKEN https://x\ncurl -u \"$CI_USER:${CI_PASSWORD}\" https://x\nrabbitmqctl add_user ci ${RABBITMQ_PASSWORD}", "htpasswd -b file user [password]\ndocker login -u USER -p PASSWORD REGISTRY\nsshpass -p '<password>' ssh host\ncurl -u USER:API_TOKEN https://x\ncurl -u \"$CI_USER:${CI_PASSWORD}\" https://x\nrabbitmqctl add_user ci ${RABBITMQ_PASSWORD}"},
		{"password messages", "error: password 'too short'\nPassword 'is required' for user ci\nALTER ROLE ci PASSWORD '<password>'", "error: password 'too short'\nPassword 'is required' for user ci\nALTER ROLE ci PASSWORD '<password>'"},
		{"placeholder near misses still go", "mc alias set s3 https://x AKEY SECRETKEY9\nmc alias set s3 https://x AKEY MySecretKey\nrabbitmqctl add_user ci <pw>x\ndocker login -p Password1 r.io\ncurl -u ci:$ecretPw9 https://x\nrabbitmqctl add_user ci pa55word", "mc alias set s3 https://x AKEY [REDACTED:password]\nmc alias set s3 https://x AKEY [REDACTED:password]\nrabbitmqctl add_user ci [REDACTED:password]\ndocker login -p [REDACTED:password] r.io\ncurl -u ci:[REDACTED:password] https://x\nrabbitmqctl add_user ci [REDACTED:password]"},
		// An upper-case placeholder names a secret as a whole word, or as a glued spelling of
		// help texts (mc's SECRETKEY); a word that only holds one is a password (24b81e9 kept these).
		{"upper-case passwords holding a secret word", "docker login -u ci -p MONKEYBUSINESS r.io\ndocker login -u ci -p PATHFINDER r.io\ndocker login -u ci -p COMPASSROSE r.io\ndocker login -u ci -p MYSECRETKEY r.io\nsshpass -p 'TOKENVALUE' ssh host\ncurl -u admin:SUPERSECRETPASS https://x\nmysql -u root -pPASSWORDSECRET db\nhtpasswd -b .htpasswd user KEYPASS\nmc alias set s3 https://x AKIAEXAMPLE PASSWORDSECRET\nredis-cli -a MONKEYBUSINESS ping", "docker login -u ci -p [REDACTED:password] r.io\ndocker login -u ci -p [REDACTED:password] r.io\ndocker login -u ci -p [REDACTED:password] r.io\ndocker login -u ci -p [REDACTED:password] r.io\nsshpass -p [REDACTED:password] ssh host\ncurl -u admin:[REDACTED:password] https://x\nmysql -u root -p[REDACTED:password] db\nhtpasswd -b .htpasswd user [REDACTED:password]\nmc alias set s3 https://x AKIAEXAMPLE [REDACTED:password]\nredis-cli -a [REDACTED:password] ping"},
		{"upper-case placeholders that stay", "redis-cli -a SECRETKEY ping\ndocker login -p API_KEY r.io\nmc alias set ALIAS URL ACCESS-KEY SECRET-KEY\nrabbitmqctl change_password USER NEWPASSWORD\ncurl -u USER:APITOKEN https://x\nsshpass -p '[PASSWORD]' ssh host", "redis-cli -a SECRETKEY ping\ndocker login -p API_KEY r.io\nmc alias set ALIAS URL ACCESS-KEY SECRET-KEY\nrabbitmqctl change_password USER NEWPASSWORD\ncurl -u USER:APITOKEN https://x\nsshpass -p '[PASSWORD]' ssh host"},
		// A placeholder's brackets hold letters, _, - and . only: a password in brackets goes.
		{"passwords in brackets", "docker login -p <s3cr3tPassw0rd> r.io\nsshpass -p '[Xy9!kLm2]' ssh host\nrabbitmqctl change_password ci [hunter2hunter]\ncurl -u admin:<hunter2hunter> https://x\nhtpasswd -b f u <pass/word>", "docker login -p [REDACTED:password] r.io\nsshpass -p [REDACTED:password] ssh host\nrabbitmqctl change_password ci [REDACTED:password]\ncurl -u admin:[REDACTED:password] https://x\nhtpasswd -b f u [REDACTED:password]"},
		{"bracket placeholders that stay", "rabbitmqctl change_password <user-name> <new_password>\ndocker login -u ci -p '[REDACTED]' r.io\nsshpass -p [your.password] ssh host\nmc alias set s3 https://x [ACCESS_KEY] [SECRET-KEY]", "rabbitmqctl change_password <user-name> <new_password>\ndocker login -u ci -p '[REDACTED]' r.io\nsshpass -p [your.password] ssh host\nmc alias set s3 https://x [ACCESS_KEY] [SECRET-KEY]"},
		{"sql passwords that are no messages", "CREATE USER ci WITH PASSWORD 'too short'\nALTER ROLE ci LOGIN password 'correct horse'\ncreate role x encrypted password 'abc def'\nALTER USER postgres PASSWORD 'pg pass word'\nerror: password 'Hunter2 x'\npassword 'hunter2'\nalter user app password 'correct horse battery staple'\npsql -c \"alter role ci password 'two words'\"", "CREATE USER ci WITH PASSWORD '[REDACTED:password]'\nALTER ROLE ci LOGIN password '[REDACTED:password]'\ncreate role x encrypted password '[REDACTED:password]'\nALTER USER postgres PASSWORD '[REDACTED:password]'\nerror: password '[REDACTED:password]'\npassword '[REDACTED:password]'\nalter user app password '[REDACTED:password]'\npsql -c \"alter role ci password '[REDACTED:password]'\""},
		// A password message needs quoted words that say what is wrong: lower-case words at a
		// line's start or after a colon are a passphrase as often (6c4463b kept these).
		{"sql passwords at a line's start or after a colon", "alter user app\n  password 'correct horse battery staple';\n  password 'correct horse battery staple'\n-- set it: password 'correct horse battery staple'\ndb: password 'correct horse battery staple'\nPassword 'correct horse battery staple' set for app\nPassword 'letmein now' is too weak\nerror: password 'too short';", "alter user app\n  password '[REDACTED:password]';\n  password '[REDACTED:password]'\n-- set it: password '[REDACTED:password]'\ndb: password '[REDACTED:password]'\nPassword '[REDACTED:password]' set for app\nPassword '[REDACTED:password]' is too weak\nerror: password '[REDACTED:password]';"},
		{"password messages that stay", "error: password 'is too short'\nERROR: password 'does not match' for user ci\nvalidation: Password 'must contain a digit'\n  password 'not set'\nwarning: password 'was not provided', using none", "error: password 'is too short'\nERROR: password 'does not match' for user ci\nvalidation: Password 'must contain a digit'\n  password 'not set'\nwarning: password 'was not provided', using none"},
		{"go test PASS lines", "PASS: TestFooBarBaz\n--- PASS: TestX (0.00s)\n    --- PASS: TestX/sub (0.00s)", "PASS: TestFooBarBaz\n--- PASS: TestX (0.00s)\n    --- PASS: TestX/sub (0.00s)"},
		// MySQL's SET PASSWORD [FOR user] = 'pw' or = PASSWORD('pw') sets a password as
		// IDENTIFIED BY does.
		{"mysql set password", "mysql -e \"SET PASSWORD FOR 'app'@'%' = 'pw';\"\nSET PASSWORD = 'pw'\nSET PASSWORD FOR app@localhost = PASSWORD('pw')\nset password = password('S3cr3tPw')\nSET PASSWORD FOR 'app'@'%' = 'Sup3rS3cret';\nUPDATE mysql.user SET authentication_string=PASSWORD('hunter2x') WHERE User='ci'", "mysql -e \"SET PASSWORD FOR 'app'@'%' = '[REDACTED:password]';\"\nSET PASSWORD = '[REDACTED:password]'\nSET PASSWORD FOR app@localhost = PASSWORD('[REDACTED:password]')\nset password = password('[REDACTED:password]')\nSET PASSWORD FOR 'app'@'%' = '[REDACTED:password]';\nUPDATE mysql.user SET authentication_string=PASSWORD('[REDACTED:password]') WHERE User='ci'"},
		{"mysql set password near misses", "SET PASSWORD FOR 'app'@'%' = PASSWORD('$DB_PW')\nSET PASSWORD FOR ci = '<new_password>'\nerror: failed to set password for 'app'@'%'\nSET PASSWORD_HISTORY = 5\nok := check_password('abcdefg')", "SET PASSWORD FOR 'app'@'%' = PASSWORD('$DB_PW')\nSET PASSWORD FOR ci = '<new_password>'\nerror: failed to set password for 'app'@'%'\nSET PASSWORD_HISTORY = 5\nok := check_password('abcdefg')"},
		// MySQL's double-quoted strings.
		{"mysql double-quoted passwords", "UPDATE user SET password=PASSWORD(\"Tr0ub4dor3pw\") WHERE User='ci'\nSET PASSWORD = PASSWORD(\"Tr0ub4dor3pw\")\nSET PASSWORD FOR 'app'@'%' = \"Tr0ub4dor3pw\";\nALTER USER 'ci'@'%' IDENTIFIED BY \"Tr0ub4dor3pw\";\nCREATE USER ci IDENTIFIED WITH mysql_native_password BY \"Tr0ub4dor3pw\"", "UPDATE user SET password=PASSWORD(\"[REDACTED:password]\") WHERE User='ci'\nSET PASSWORD = PASSWORD(\"[REDACTED:password]\")\nSET PASSWORD FOR 'app'@'%' = \"[REDACTED:password]\";\nALTER USER 'ci'@'%' IDENTIFIED BY \"[REDACTED:password]\";\nCREATE USER ci IDENTIFIED WITH mysql_native_password BY \"[REDACTED:password]\""},
		{"mysql double-quoted near misses", "ALTER USER ci IDENTIFIED BY \"$DB_PW\"\nSET PASSWORD = PASSWORD(\"<new_password>\")\nok := check_password(\"abcdefg\")\nSET PASSWORD_HISTORY = 5", "ALTER USER ci IDENTIFIED BY \"$DB_PW\"\nSET PASSWORD = PASSWORD(\"<new_password>\")\nok := check_password(\"abcdefg\")\nSET PASSWORD_HISTORY = 5"},
		// A value that is the word password before a quoted string is SQL's keyword: the
		// quoted string is the password.
		{"password: password '…'", "set password: password 'correct horse battery staple'\nroot: Password 'Tr0ub4dor&3'", "set password: password '[REDACTED:password]'\nroot: Password '[REDACTED:password]'"},
		{"password: password near misses", "DB_PASSWORD=password\npassword: password\npassword: password 'is too short'\n--password password \"x y\"", "DB_PASSWORD=[REDACTED:password]\npassword: [REDACTED:password]\npassword: password 'is too short'\n--password [REDACTED:password] \"x y\""},
		// PowerShell's >> prompt starts a line a backtick continued (an interactive transcript).
		{"powershell continuation prompt", "PS C:\\> docker login -u ci -p `\n>> s3cr3tpw `\n>> registry.io\nPS C:\\> mc alias set s3 https://x `\n>> AKEY s3cr3tpw", "PS C:\\> docker login -u ci -p `\n>> [REDACTED:password] `\n>> registry.io\nPS C:\\> mc alias set s3 https://x `\n>> AKEY [REDACTED:password]"},
		{"powershell prompt before curl's -u value", "PS C:\\> curl.exe -sS -u `\n>> admin:Zx8kq2Lm9Pw4 `\n>> https://x\nPS C:\\> curl.exe -sS `\r\n>> --user admin:Zx8kq2Lm9Pw4 `\r\n>> https://x\r\n", "PS C:\\> curl.exe -sS -u `\n>> admin:[REDACTED:password] `\n>> https://x\nPS C:\\> curl.exe -sS `\r\n>> --user admin:[REDACTED:password] `\r\n>> https://x\r\n"},
		{"powershell prompt near misses 2", "PS C:\\> curl.exe -sS `\n>> https://x\nsort -u a:b `\n>> out.log\necho `\n>>> admin:Zx8kq2Lm9Pw4", "PS C:\\> curl.exe -sS `\n>> https://x\nsort -u a:b `\n>> out.log\necho `\n>>> admin:Zx8kq2Lm9Pw4"},
		{"powershell prompt near misses", "Write-Output done `\n>> out.log\nPS C:\\> docker login -u ci -p `", "Write-Output done `\n>> out.log\nPS C:\\> docker login -u ci -p `"},
		// Cookie pairs separated by commas, curl's -b with its value attached, a color before a value.
		{"more cookie shapes", "> Cookie: a=1, sid=abcdef123456\ncurl -bsid=abcdef123456 https://x\nCookie: sid=\x1b[0mabcdef123456\nSet-Cookie: a=x, b=abcdefgh; Path=/, c=1", "> Cookie: a=1, sid=[REDACTED:authorization]\ncurl -bsid=[REDACTED:authorization] https://x\nCookie: sid=\x1b[0m[REDACTED:authorization]\nSet-Cookie: a=x, b=[REDACTED:authorization]; Path=/, c=1"},
		{"more cookie shapes near misses", "Set-Cookie: id=x; Expires=Wed, 21 Oct 2026 07:28:00 GMT\ncurl -bcookies.txt https://x\nsort -bkey=value-list f\nCookie: a=1, b=2\nAuthorization: Bearer abcdefghijklmnop, charset=utf-8-variant", "Set-Cookie: id=x; Expires=Wed, 21 Oct 2026 07:28:00 GMT\ncurl -bcookies.txt https://x\nsort -bkey=value-list f\nCookie: a=1, b=2\nAuthorization: Bearer [REDACTED:authorization], charset=utf-8-variant"},
		// A folded Set-Cookie: pairs after valueless attributes, Expires' date, empty pairs.
		{"folded set-cookie", "Set-Cookie: a=abcdefghijkl; HttpOnly; Secure, sid=abcdefghijklmn1234\n< Set-Cookie: a=x; expires=Sun, 06-Dec-26 23:00:00 GMT, sid=abcdefghijklmn1234\nSet-Cookie: a=x; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/, sid=abcdefghijklmn1234\nCookie: a=1;; sid=abcdefghijklmn1234\nCookie: a=1; ; sid=abcdefghijklmn1234", "Set-Cookie: a=[REDACTED:authorization]; HttpOnly; Secure, sid=[REDACTED:authorization]\n< Set-Cookie: a=x; expires=Sun, 06-Dec-26 23:00:00 GMT, sid=[REDACTED:authorization]\nSet-Cookie: a=x; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/, sid=[REDACTED:authorization]\nCookie: a=1;; sid=[REDACTED:authorization]\nCookie: a=1; ; sid=[REDACTED:authorization]"},
		{"folded set-cookie near misses", "Set-Cookie: a=x; HttpOnly; Secure; Domain=example.com; Path=/static\nSet-Cookie: a=x; Secure, HttpOnly; expires=Sun, 06-Dec-26 23:00:00 GMT\nAuthorization: Bearer abcdefghijklmnop; secure, charset=utf-8-variant\ncurl -b sid=abcdef123456; HttpOnly, RESULT=passed-all", "Set-Cookie: a=x; HttpOnly; Secure; Domain=example.com; Path=/static\nSet-Cookie: a=x; Secure, HttpOnly; expires=Sun, 06-Dec-26 23:00:00 GMT\nAuthorization: Bearer [REDACTED:authorization]; secure, charset=utf-8-variant\ncurl -b sid=[REDACTED:authorization]; HttpOnly, RESULT=passed-all"},
		// tput sgr0 prints ESC ( B (charset selection) before its reset.
		{"token after a charset escape", "\x1b(Bghp_" + strings.Repeat("a", 36) + "\n\x1b)0AKIAABCDEFGHIJKLMNOP\n\x1b(Bdocker login -p s3cr3tpw r.io", "\x1b(B[REDACTED:github_token]\n\x1b)0[REDACTED:aws_access_key]\n\x1b(Bdocker login -p [REDACTED:password] r.io"},
		{"charset escape near misses", "\x1b(Bxghp_" + strings.Repeat("a", 36) + "\n\x1b(BAKIA1234\n\x1b(Bhf_hub_download", "\x1b(Bxghp_" + strings.Repeat("a", 36) + "\n\x1b(BAKIA1234\n\x1b(Bhf_hub_download"},
		// A $ value is a variable only in a variable's shape: upper case, lower-case _-words
		// (a secret word whole), ${…}, $(…), ${{ … }}; not mixed case, a digit inside a word
		// or a glued secret word.
		{"passwords starting with $", "docker login -u ci -p $uperpassword r.io\ndocker login -u ci -p $uperPassw0rd r.io\nsshpass -p \"$ecretPw9\" ssh host\nmysql -u root -p$ecretPw9 db\nredis-cli -a $3cr3t ping\ndocker login -p $p4ss r.io\ndocker login -p $mykey r.io", "docker login -u ci -p [REDACTED:password] r.io\ndocker login -u ci -p [REDACTED:password] r.io\nsshpass -p [REDACTED:password] ssh host\nmysql -u root -p[REDACTED:password] db\nredis-cli -a [REDACTED:password] ping\ndocker login -p [REDACTED:password] r.io\ndocker login -p [REDACTED:password] r.io"},
		// camelCase variables (letters only) stay; a digit or capitals in a row go.
		{"camelCase variables that stay", "docker login -u ci -p $dockerPassword r.io\ndocker login -p $registryPassword r.io\nmysql -u root -p$mysqlRootPassword db\nsshpass -p \"$deployPw\" ssh host\ncurl -u admin:$adminPassword https://x\nredis-cli -a $redisPassword ping\nhtpasswd -b .htpasswd admin $adminPass", "docker login -u ci -p $dockerPassword r.io\ndocker login -p $registryPassword r.io\nmysql -u root -p$mysqlRootPassword db\nsshpass -p \"$deployPw\" ssh host\ncurl -u admin:$adminPassword https://x\nredis-cli -a $redisPassword ping\nhtpasswd -b .htpasswd admin $adminPass"},
		{"camelCase near misses that go", "docker login -p $uperPassw0rd r.io\nsshpass -p \"$ecretPw9\" ssh h\ndocker login -p $p4ss r.io\ndocker login -p $uperPASS r.io\ndocker login -p $Xy9kLm r.io\ncurl -u admin:$adminPassw0rd https://x", "docker login -p [REDACTED:password] r.io\nsshpass -p [REDACTED:password] ssh h\ndocker login -p [REDACTED:password] r.io\ndocker login -p [REDACTED:password] r.io\ndocker login -p [REDACTED:password] r.io\ncurl -u admin:[REDACTED:password] https://x"},
		{"variables that stay", "docker login -u ci -p $DOCKER_PASSWORD r.io\ndocker login -p \"$db_password\" r.io\nsshpass -p ${PW} ssh h\nsshpass -p ${sshPass} ssh h\ndocker login -p $(cat pw) r.io\ndocker login -p ${{ secrets.PW }} r.io\nmysql -p$MYSQL_PWD; echo\nhtpasswd -b f u $pass|tee x\ndocker login -p $S3_KEY2 r.io\ndocker login -p $user r.io\ngh secret set X --body \"$value\"\nsshpass -p $registry_pass2 ssh h\nsshpass -p \"$passwords\" ssh h", "docker login -u ci -p $DOCKER_PASSWORD r.io\ndocker login -p \"$db_password\" r.io\nsshpass -p ${PW} ssh h\nsshpass -p ${sshPass} ssh h\ndocker login -p $(cat pw) r.io\ndocker login -p ${{ secrets.PW }} r.io\nmysql -p$MYSQL_PWD; echo\nhtpasswd -b f u $pass|tee x\ndocker login -p $S3_KEY2 r.io\ndocker login -p $user r.io\ngh secret set X --body \"$value\"\nsshpass -p $registry_pass2 ssh h\nsshpass -p \"$passwords\" ssh h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzString checks that redaction never panics, is idempotent, and leaves nothing that a
// rule would still redact.
func FuzzString(f *testing.F) {
	logs, _ := filepath.Glob("testdata/*.log")
	for _, p := range logs {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("https://u:p@h AKIAQWERTYUIOPASDFGH xoxb-1234567890-abc")
	f.Add("curl -fsSLu a:b https://x && sort -u c:d | curl --user=e:f\nsshpass -v -pX ssh -p 2\ndocker login --password-stdin <<< 'p w'")
	f.Add(`curl -d 'x&&y' -u 'a:b c' z & sort -u d:e` + "\ncurl --user=\"f:g\\\" h\ncurl -u i:'j k")
	f.Add(`curl -U 'p:a'\''b c' -u "u:v"w --proxy-user=x:'y z' -d 'sort -u a:b' & curl -u q:r | sort -u s:t`)
	f.Add("-H 'X-Api-Key: 0123456789abcdef' AccountKey=Zm9vYmFyYmF6cXV4Zm9v==;x?sv=1&sig=a%2Bbcdefghijklmnop%3D sk_live_4eC39HqLyjWDarjtT1zdp7dc aws_session_token=FwoGZXIvYXdz")
	f.Add("machine h login u password p\n  password x y\n2026-01-01T00:00:00Z password z\n    token: FakeStaticBearerToken0123\r\n")
	f.Add("db:5432:a:b:c *:*:*:u:p x.go:12:5: a:b:c:d:e\ncat ~/.pgpass\nh:1:d:u:p")
	f.Add("ssh-keygen -P '' -N \"a b\" | twine upload -p x --pass yyyyyy\n token:zzzzzzzzzzzzzzzzz\nwarning: h:5432:d:u:p\nheroku auth:token\nHRKU-aaaaaaaaaaaaaaaaaaaaaaaa next_page_token=q apiKey: process.env.K")
	f.Add("codecov -t x && docker build -t y; az login -p 'a b' | skopeo --creds=u:p --token v --api-key w DB_PASS=xxxxxx \"auth\":\"Y2k6cHc=\"")
	f.Add("curl -sS \\\n  https://x \\\r\n-u a:b \\\n\nmysql \\\n -pX | sort -u c:d \\\n2026-01-01T00:00:00Z -u e:f\nsshpass \\\n -p g")
	f.Add("keytool -storepass a -keypass:env B -new c | jarsigner \\\n -keypass d\ngpg --passphrase e;Pwd=ffffff; zip -P g && 7z x -ph\necho '::add-mask::i' gh secret set K -b j\nnpm config set //r/:_authToken k\nmongosh -p *** ldapsearch -w l")
	f.Add("htpasswd -Bbc f u 'p w' | htpasswd -nb u2 p2; mc alias set m u a s\npoetry config http-basic.r u p; rabbitmqctl add_user u p\nsqlplus -s u/p@db; lftp -e 'open -u u,p h'; smbclient //s/x -U 'D\\u%p'\ngh auth login --with-token <<< t ya29.aaaaaaaaaaaaaaaaaaaaaaaa eyJwYXlsb2FkIjoi" + strings.Repeat("QUJD", 20))
	f.Add("<password>a</password><SecretAccessKey>b</SecretAccessKey> echo 'c' | sudo -S x; echo d | docker login --password-stdin\nALTER USER u WITH PASSWORD 'e' IDENTIFIED WITH p BY 'f' ansible_become_pass=gggggg MYSQL_PWD=hhhhhh -token iiiiii\njenkins-cli.jar -auth u:j vercel env add K p <<< k Circle-Token: llllllllllll")
	f.Add("op read a\nop read b\nS3cret\n+ vault kv get -field=password x\nv\n2026-01-01T00:00:00Z + terraform output -raw db_password\nTfOut1\r\nkubectl get secret x | base64 -d\n")
	f.Add("docker login `\n  -p a `\r\n  r.io\ncurl -sS ^\x1b[0m\n -u b:c ^\n -b 'd=eeeeee; f=gggggg' ^\nmc alias set s3 u ^\n AK SK\n\x1b[36;1mghp_" + strings.Repeat("h", 36) + "\n> Cookie: i=jjjjjj; k=l\n< Set-Cookie: m=nnnnnn; Path=/oooooo; Domain=p")
	f.Fuzz(func(t *testing.T, in string) {
		var first [64]int32
		present := triggeredAt(in, &first)
		for i, r := range rules {
			from := 0
			if present&(1<<i) != 0 {
				from = int(first[i])
			}
			if got, want := findAll(in, r, 1<<i, from), r.find(in); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s on %q: searching the runs found %v; the whole text %v", r.kind, in, got, want)
			}
		}
		var c CommandLines
		for _, line := range strings.Split(in, "\n") {
			if shown := String(string(c.Redact([]byte(line)))); String(shown) != shown {
				t.Fatalf("line %q of %q, through CommandLines and String, is redacted again", line, in)
			}
		}
		out := String(in)
		if again := String(out); again != out {
			t.Fatalf("String not idempotent on %q: %q then %q", in, out, again)
		}
		for _, r := range rules {
			if len(r.re.secret) > 0 {
				continue // these keep their context and match it again around their marker
			}
			if loc := r.re.get().FindStringIndex(out); loc != nil && !markerAt(out, loc[0]) {
				t.Fatalf("String(%q) = %q still holds a %s at %v", in, out, r.kind, loc)
			}
		}
	})
}

var markerRE = regexp.MustCompile(`^\[REDACTED:[a-z_]+\]`)

func markerAt(s string, i int) bool { return markerRE.MatchString(s[i:]) }

func BenchmarkString(b *testing.B) {
	in, err := os.ReadFile("testdata/github_token.log")
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("go: downloading example.com/module v1.2.3\n", 400) + string(in)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		String(text)
	}
}

// BenchmarkStringCommonWord: 16 KiB of log whose only trigger is the word "token", which the
// password rule listens for; it searches that one line, not the log.
func BenchmarkStringCommonWord(b *testing.B) {
	text := strings.Repeat("go: downloading example.com/module v1.2.3 from the proxy cache\n", 256) + "error: token expired, retry\n"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		String(text)
	}
}

// BenchmarkStringLargeLog: 1 MiB of a realistic job log (testdata/bench/ci_job.txt repeated),
// with the curl, docker, npm and "token" lines that trigger rules on most lines of a real log
// and a few secrets: the cost the pipeline pays per MiB stored, not the best case.
func BenchmarkStringLargeLog(b *testing.B) {
	job, err := os.ReadFile("testdata/bench/ci_job.txt")
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat(string(job), 1<<20/len(job)+1)[:1<<20]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		String(text)
	}
}

func BenchmarkStringShort(b *testing.B) {
	for _, s := range []string{"build-17", "go build ./...\nundefined: x\n", strings.Repeat("npm ERR! code ERESOLVE unable to resolve dependency tree\n", 36)} {
		b.Run(fmt.Sprintf("len=%d", len(s)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				String(s)
			}
		})
	}
}

// fixturePaths lists testdata/*.log, failing the test when there are none.
func fixturePaths(t *testing.T) []string {
	t.Helper()
	logs, err := filepath.Glob("testdata/*.log")
	if err != nil || len(logs) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	return logs
}

// fixtureTexts is the contents of every testdata/*.log.
func fixtureTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	for _, path := range fixturePaths(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	return texts
}

// TestTriggeredMatchesContains checks the one-pass literal search against the plain one: a
// literal contained in the lower-cased text.
func TestTriggeredMatchesContains(t *testing.T) {
	texts := []string{"", "ab", "AKIA", "xAkIaQ", "aws_SECRET_access_key=", "https://u:p@h", "ghp", "ghp_",
		"GR1348941x", "-----BEGIN RSA PRIVATE KEY-----", "eyJhbGciOi", "hooks.slack.com/services", "xoxb-1", "glcbt-", "glpat"}
	texts = append(texts, fixtureTexts(t)...)
	for _, s := range texts {
		var want uint64
		for i, r := range rules {
			for _, l := range r.literals {
				if strings.Contains(strings.ToLower(s), l) {
					want |= 1 << i
				}
			}
		}
		if got := triggered(s); got != want {
			t.Errorf("triggered(%.40q) = %b; want %b", s, got, want)
		}
	}
}

// TestFindAllMatchesWholeText checks that searching only the runs around the literals finds
// what searching the whole text finds.
func TestFindAllMatchesWholeText(t *testing.T) {
	texts := []string{
		"clone https://bob:hunter2@git.example.com/x.git and http://a:b@c d://e:f@g",
		"key=AKIAQWERTYUIOPASDFGH,AKIAQWERTYUIOPASDFGHX xAKIAQWERTYUIOPASDFGH\tAKIAQWERTYUIOPASDFGH",
		"token ghp_" + strings.Repeat("a", 36) + " and\nghp_" + strings.Repeat("b", 40) + "\fgithub_pat_" + strings.Repeat("c", 30),
		"GR1348941abcdefghijklmnopqrstu glpat-abcdefghijklmnopqrst\r\nxoxb-1234567890-abc hooks.slack.com/services/T/B/x",
		"https://hooks.slack.com/services/T0/B0/abc eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl ://: @",
		"curl -sS \\\n  https://x \\\r\n-u a:b \\\n\ncurl x \\\\\n-u c:d\nx \\\ncurl \\\n -u e:f \\",
		"Z ##[group]Run curl \\\nZ \x1b[36;1mcurl \\\x1b[0m\nZ \x1b[36;1m-u a:b \\\x1b[0m\r\n\x1b[36;1msshpass \\\x1b[0m\n -p c\x1b[0m",
		"op read a\nop read b\nS3cret\nop read c\nop read d\n+ vault kv get -field=token x\ntokenvalue\nop read e",
		"mysql \\\n -pX; docker login \\\n2026-01-01T00:00:00Z -p y\nsshpass \\\n2026-01-01T00:00:00Z -p z ssh-keygen -N \\\n -P w",
	}
	texts = append(texts, fixtureTexts(t)...)
	for _, s := range texts {
		var first [64]int32
		present := triggeredAt(s, &first)
		for i, r := range rules {
			from := 0
			if present&(1<<i) != 0 {
				from = int(first[i])
			}
			if got, want := findAll(s, r, 1<<i, from), r.find(s); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s on %.60q: searching the runs found %v; the whole text %v", r.kind, s, got, want)
			}
		}
	}
}

// The rules compile on first use, so a bad expression would surface only in production on the
// first text that triggers it: compile them all here.
func TestRulesCompile(t *testing.T) {
	for _, r := range rules {
		if _, err := regexp.Compile(r.re.expr); err != nil {
			t.Errorf("rule %s: %v", r.kind, err)
		}
		// An inLine rule searches the lines of common words ("token", "password"): past 500
		// instructions the regexp package drops its backtracker for its NFA, ~2× slower.
		if re, err := syntax.Parse(r.re.expr, syntax.Perl); err == nil && r.inLine {
			if prog, err := syntax.Compile(re.Simplify()); err == nil && len(prog.Inst) > 500 {
				t.Errorf("rule %s (%.40s…): %d instructions; split it to keep each under 500", r.kind, r.re.expr, len(prog.Inst))
			}
		}
		if (r.continued || r.nextLine) && !r.inLine {
			t.Errorf("rule %s: continued or nextLine but not inLine: it is searched whole, and they say nothing", r.kind)
		}
		if r.more == nil {
			continue
		}
		// A match of more is replaced through re's secret indexes.
		if more, err := regexp.Compile(r.more.expr); err != nil {
			t.Errorf("rule %s, more: %v", r.kind, err)
		} else if got, want := more.SubexpNames(), r.re.get().SubexpNames(); !slices.Equal(got, want) {
			t.Errorf("rule %s: more's submatches are %q; re's %q", r.kind, got, want)
		} else if !strings.HasPrefix(r.more.expr, `\A`) {
			t.Errorf("rule %s: more does not start with \\A", r.kind)
		}
	}
}

func TestKeyLines(t *testing.T) {
	lines := []struct {
		line   string
		secret bool
	}{
		{"building...", false},
		{"-----BEGIN RSA PRIVATE KEY-----", true},
		{"Proc-Type: 4,ENCRYPTED", true},
		{"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", true},
		{"", true},
		{"-----END RSA PRIVATE KEY-----", true},
		{"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", false}, // no key open
		{"-----BEGIN OPENSSH PRIVATE KEY-----", true},
		{"b3BlbnNzaC1rZXktdjEAAAAABG5vbmU=", true},
		{"error: the key was cut short", false}, // not base64: the key ended without its END
		{"AAAA", false},
		{"-----BEGIN CERTIFICATE-----", false}, // certificates are public
	}
	var k KeyLines
	for i, l := range lines {
		if got := k.Secret([]byte(l.line)); got != l.secret {
			t.Errorf("line %d %q: Secret = %v; want %v", i+1, l.line, got, l.secret)
		}
	}
}

// BenchmarkCommandLines reads, line by line, 32 KiB of one command continued over short
// lines: lines that a rule may need (each holds a literal) and lines left out.
func BenchmarkCommandLines(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"literal", "  --creds u:p \\"},
		{"plain", "  -x a \\"},
	} {
		lines := []string{"curl -sS \\"}
		for n := 0; n < 32<<10; n += len(bc.line) + 1 {
			lines = append(lines, bc.line)
		}
		lines = append(lines, "  https://x")
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				var c CommandLines
				for _, l := range lines {
					c.Redact([]byte(l))
				}
			}
		})
	}
}

// BenchmarkCommandLinesRepeated reads, line by line, 256 KiB of continued lines that each
// hold a rule's literal (curl, again and again), with each of the three continuations: every
// line is kept, so each cost the whole kept command until rescanFactor bounded it.
func BenchmarkCommandLinesRepeated(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"backtick", "curl -sS `"},
		{"caret", "curl -sS ^"},
		{"backslash", "curl -sS \\"},
	} {
		var lines [][]byte
		for n := 0; n < 256<<10; n += len(bc.line) + 1 {
			lines = append(lines, []byte(bc.line))
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(256 << 10)
			for b.Loop() {
				var c CommandLines
				for _, l := range lines {
					c.Redact(l)
				}
			}
		})
	}
}

// TestCommandLinesBudget checks the bound on what CommandLines has String read again: on a
// log of continued lines that each hold a literal it stays within rescanFactor times the
// log plus rescanAllowance, and past it a continued line is left as it is (String's alone),
// where within it the joined command is read.
func TestCommandLinesBudget(t *testing.T) {
	var c CommandLines
	seen, lines := 0, 0
	for i := 0; i < 200000; i++ {
		line := "curl -sS `"
		c.Redact([]byte(line))
		seen += len(line) + 1
		lines++
		if c.rescanned > rescanFactor*seen+rescanAllowance {
			t.Fatalf("after %d lines (%d bytes) String read %d bytes again", i+1, seen, c.rescanned)
		}
		// Past the budget, a line costs String its own bytes and a bounded head: the work
		// read again stays linear in the log.
		if max := seen + lines*(maxBoundedHead+2*len(gapLine)+2); c.bounded > max {
			t.Fatalf("after %d lines (%d bytes) String read %d bytes with a bounded head; want at most %d", i+1, seen, c.bounded, max)
		}
	}
	if c.rescanned < rescanFactor*seen {
		t.Errorf("String read %d bytes again of %d: the budget was not used", c.rescanned, seen)
	}
	if c.bounded == 0 {
		t.Errorf("no line was read with a bounded head past the budget")
	}
	if got, want := string(c.Redact([]byte("  -u deploy:s3cr3tpw `"))), "  -u deploy:[REDACTED:password] `"; got != want {
		t.Errorf("past the budget, a continued line became %q; want %q", got, want)
	}
	var fresh CommandLines
	fresh.Redact([]byte("curl -sS `"))
	if got, want := string(fresh.Redact([]byte("  -u deploy:s3cr3tpw `"))), "  -u deploy:[REDACTED:password] `"; got != want {
		t.Errorf("within the budget, a continued line became %q; want %q", got, want)
	}
}

// TestCommandLinesPastBudget checks that a command's secret on a continued line is redacted
// however many lines came before it: a long first line and many -F lines (the budget2 log)
// used the budget up, and the -u line after them was stored verbatim.
func TestCommandLinesPastBudget(t *testing.T) {
	var first strings.Builder
	first.WriteString("\x1b[36;1mcurl -fsS --retry 3 -X POST https://upload.example.com/api/v1/artifacts")
	for i := 0; first.Len() < 900; i++ {
		fmt.Fprintf(&first, " -H 'X-Meta-%02d: v'", i)
	}
	first.WriteString(" \\\x1b[0m")
	for _, n := range []int{40, 80, 200, 1000} {
		for _, shape := range []struct{ head, last, want string }{
			{first.String(), "\x1b[36;1m  -u deploy:Zx8kq2Lm9Pw4Rt \\\x1b[0m", "\x1b[36;1m  -u deploy:[REDACTED:password] \\\x1b[0m"},
			{"docker login \\", "  -p Zx8kq2Lm9Pw4Rt \\", "  -p [REDACTED:password] \\"},
			{"PS C:\\> curl.exe -sS " + strings.Repeat("-H 'a: b' ", 90) + "`", "  -u deploy:Zx8kq2Lm9Pw4Rt `", "  -u deploy:[REDACTED:password] `"},
		} {
			var c CommandLines
			lines := []string{"##[group]Run ./upload.sh", shape.head}
			for i := 0; i < n; i++ {
				lines = append(lines, fmt.Sprintf("  -F \"f%02d=@dist/part-%02d.tar.gz\" \\", i%100, i%100))
			}
			for _, l := range lines {
				c.Redact([]byte(l))
			}
			if got := String(string(c.Redact([]byte(shape.last)))); got != shape.want {
				t.Errorf("%d -F lines after %.30q: %q; want %q", n, shape.head, got, shape.want)
			}
			// A near miss: the -F lines themselves stay.
			if got := string(c.Redact([]byte("  -F \"f00=@dist/part-00.tar.gz\" \\"))); got != "  -F \"f00=@dist/part-00.tar.gz\" \\" {
				t.Errorf("%d -F lines: a -F line became %q", n, got)
			}
		}
	}
}

// TestCommandLines checks that a text redacted line by line through CommandLines (and String,
// as a shown line is) reads as the whole text redacted does, for commands continued over lines.
func TestCommandLines(t *testing.T) {
	texts := []string{
		"curl -sS \\\n  -u deploy:s3cr3t \\\n  https://x",
		"curl -sS \\\r\n  -u deploy:s3cr3t \\\r\n  https://x\r\n",
		"curl -sS \\\n  https://x \\\n  --user deploy:s3cr3t\nsort -u a:b",
		"2026-11-25T10:00:15.0000000Z ##[group]Run curl -sS \\\n2026-11-25T10:00:15.0000000Z \x1b[36;1mcurl -sS \\\x1b[0m\n2026-11-25T10:00:15.0000000Z \x1b[36;1m  -u deploy:s3cr3t \\\x1b[0m\n2026-11-25T10:00:15.0000000Z \x1b[36;1m  https://x\x1b[0m",
		"docker login \\\n  -u ci \\\n  -p s3cr3tpw \\\n  registry.io\nssh -p 2222 host",
		"mysql -h db \\\n  -u root \\\n  -pS3cr3t -e 'SELECT 1'",
		"curl https://x \\\\\nsort -u a:b",
		"curl -sS https://x\n  -u deploy:s3cr3t",
		"keytool -importkeystore \\\n -srcstorepass a1b2c3 \\\n -deststorepass d4e5f6",
		// Lines left out of the kept head (plain, no literal), and lines kept: a command's
		// name after an assignment, a pipe, quotes, GitHub's colors.
		"curl -sS \\\n" + strings.Repeat("  -H x \\\n", 50) + "  -u a:s3cr3tpw \\\n  https://x",
		"FOO=1 \\\n  curl -sS \\\n  https://x \\\n  -u a:s3cr3t",
		"curl -sS \\\n  https://x \\\n  | sort -u \\\n  -u a:b",
		"docker login \\\n  -u ci \\\n  --password-stdin \\\n  r.io <<< 'p w'",
		"\x1b[36;1mdocker login \\\x1b[0m\n\x1b[36;1m  -u ci \\\x1b[0m\n\x1b[36;1m  -p s3cr3tpw\x1b[0m",
		"mc alias set s3 https://x \\\n  AKEY s3cr3tpw",
		"htpasswd -nb \\\n  ci \\\n  s3cr3tpw",
		"docker login -u ci -p \\\n  s3cr3tpw r.io",
		"curl -u \\\n  ci:s3cr3tpw https://x",
		"docker login -p \\\r\n  s3cr3tpw\r",
		"\x1b[36;1mdocker login -p \\\x1b[0m\n\x1b[36;1m  s3cr3tpw\x1b[0m",
		// PowerShell's and cmd's continuations.
		"docker login `\n  -u ci `\n  -p s3cr3tpw `\n  r.io",
		"curl -sS ^\r\n  -H x ^\r\n  -H y ^\r\n  -u deploy:s3cr3t ^\r\n  https://x\r\n",
		"\x1b[36;1mdocker login `\x1b[0m\n\x1b[36;1m  -u ci `\x1b[0m\n\x1b[36;1m  -p s3cr3tpw\x1b[0m",
		"docker login -u ci -p `\n  s3cr3tpw r.io",
		"mc alias set s3 https://x ^\n  AKEY s3cr3tpw",
		"PS C:\\> docker login -u ci -p `\n>> s3cr3tpw `\n>> registry.io",
		"PS C:\\> docker login `\n>> -u ci `\n>> -p `\n>> s3cr3tpw",
		"PS C:\\> htpasswd -nb `\n>> ci `\n>> s3cr3tpw",
		"PS C:\\> curl.exe -sS -u `\n>> admin:Zx8kq2Lm9Pw4 `\n>> https://x",
		"PS C:\\> curl.exe -sS `\r\n>> -H x `\r\n>> -u admin:Zx8kq2Lm9Pw4 `\r\n>> https://x\r\n",
		// A command that prints a secret, echoed by xtrace or GitLab, and the line it printed
		// (glued to the next command when the output has no newline).
		"+ vault kv get -field=password secret/db\nhunter22hunter\npsql: FATAL: password authentication failed",
		"$ terraform output -raw db_password\nhunter22hunter\n$ echo ok",
		"++ terraform output -raw db_password\nhunter22hunter+ echo done",
		"+ terraform output -raw vpc_id\nvpc-0abc1234\n",
		// Past maxCommand, the first line and the current one.
		"curl \\\n" + strings.Repeat("  -H 'X: "+strings.Repeat("a", 100)+"' \\\n", 90) + "  -u a:s3cr3tpw",
	}
	for _, text := range texts {
		var c CommandLines
		var got []string
		for _, line := range strings.Split(text, "\n") {
			got = append(got, String(string(c.Redact([]byte(line)))))
		}
		if want := String(text); strings.Join(got, "\n") != want {
			t.Errorf("line by line %q:\n%q\nwhole:\n%q", text, strings.Join(got, "\n"), want)
		}
	}
	// A command continued past maxCommand: the lines after it are redacted alone, and the
	// kept text stays bounded.
	var c CommandLines
	long := "curl " + strings.Repeat("x", maxCommand) + " \\"
	for _, line := range []string{long, "  -H 'a: b' \\", "  -u u:p"} {
		c.Redact([]byte(line))
		if len(c.head) > maxCommand {
			t.Fatalf("CommandLines kept %d bytes", len(c.head))
		}
	}
	if line := "  -u u:pw"; string(c.Redact([]byte(line))) != line {
		t.Errorf("a line after a command that continues nothing changed")
	}
}

// TestCurlCookieCheck checks that the authorization rule's notMatch, which reads on from
// where it stopped for the match before, decides each match as a check reading from the
// command's start does.
func TestCurlCookieCheck(t *testing.T) {
	r := rules[slices.IndexFunc(rules, func(r rule) bool { return r.kind == "authorization" })]
	for _, text := range []string{
		"curl -b a=bbbbbbbb -b c=dddddddd | sort -b e=ffffffff; curl x -bg=hhhhhhhh && make -b i=jjjjjjjj",
		strings.Repeat("curl -bsid=abcdef123456 ", 50) + "; ls -b k=llllllll",
		"curl -sS \\\n  -b a=bbbbbbbb \\\n  -b 'c=dddddddd' 'x|y' -b e=ffffffff\nsort -b g=hhhhhhhh",
		"\x1b[36;1mcurl \\\x1b[0m\n\x1b[36;1m  -b a=bbbbbbbb\x1b[0m && git checkout -b c=dddddddd",
		"echo 'curl' -b a=bbbbbbbb \"curl -b\" c=dddddddd curl -b e=ffffffff",
	} {
		check := r.notMatch()
		for _, m := range r.re.get().FindAllStringSubmatchIndex(text, -1) {
			if got, want := check(text, m), r.notMatch()(text, m); got != want {
				t.Errorf("%q at %d: read on %v, read afresh %v", text, m[0], got, want)
			}
		}
	}
}

// TestContinuedLines checks how continues and plainLine read a line's end and its colors
// (colorEnd, which both use).
func TestContinuedLines(t *testing.T) {
	for _, tc := range []struct {
		line             string
		continues, plain bool
	}{
		{"  -u a:b \\", true, true},
		{"  -u a:b \\\r", true, true},
		{"\x1b[36;1m  -x a \\\x1b[0m", true, true},
		{"\x1b[36;1m  -x a \\\x1b[0m\r", true, true},
		{"  -x a \\\x1b[0;m", true, true},
		{"  -x a \\\x1b[0", false, false},
		{"  -x a \\x1b[0m", false, false},
		{"  -x a \\\\", true, false},
		{"  -x 'a' \\", true, false},
		{"  -x a; \\", true, false},
		{"  -x \x1b[1;31ma\x1b[0m \\", true, true},
		{"  -x \x1b[1;31 a \\", true, false}, // not a color: its ; is a separator
		{"  -x a", false, false},
		{"", false, false},
		{"\\", true, true},
		{"  -x a `", true, true},
		{"  -x a ^\r", true, true},
		{"\x1b[36;1m  -x a `\x1b[0m", true, true},
		{"  -x a\t^", true, true},
		{"  -x 'a' `", true, false},
		{"  -x a`", false, false},
		{"  -x a^", false, false},
		{"`", false, false},
		{"  -x a ` b", false, false},
	} {
		if got := continues(tc.line); got != tc.continues {
			t.Errorf("continues(%q) = %v; want %v", tc.line, got, tc.continues)
		}
		if got := continues([]byte(tc.line)); got != tc.continues {
			t.Errorf("continues([]byte(%q)) = %v; want %v", tc.line, got, tc.continues)
		}
		if tc.continues {
			if got := plainLine([]byte(tc.line)); got != tc.plain {
				t.Errorf("plainLine(%q) = %v; want %v", tc.line, got, tc.plain)
			}
		}
	}
}
