# syntax=docker/dockerfile:1
# The filter API image: only the app module is built (GOWORK=off keeps the Pulumi module and its
# dependencies out), as a static binary, into distroless static as the nonroot user.
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (deploy/chart/ci-agent).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src/app
ENV GOWORK=off CGO_ENABLED=0 GOFLAGS=-trimpath
# Modules first, so code changes reuse the download layer.
COPY app/go.mod app/go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY app/ ./
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w -X main.version=${VERSION}" -o /out/ciagent ./cmd/ciagent

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ciagent /usr/local/bin/ciagent
# The chart mounts a volume here; the default keeps `docker run` working with a writable spool.
ENV CIAGENT_SPOOL_DIR=/tmp/spool
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ciagent"]
CMD ["serve"]
