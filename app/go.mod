module github.com/ci-agent/ci-agent/app

go 1.26
