// Package pgconf builds the service's PostgreSQL connection settings one way. Its point is the
// password: when the URL carries none, pgx looks it up in a passfile (the URL's passfile
// parameter, or PGPASSFILE), but only when the URL is parsed. pgconf parses it again before
// every new connection, so connections opened after the file changes use the new password.
//
// Why: the RDS password is rotated in Secrets Manager on a schedule, and RDS Proxy checks each
// new client connection against the current one. In Kubernetes the chart mounts the password
// as a passfile from a Secret that External Secrets rewrites; a password in DATABASE_URL (an
// environment variable, fixed for the pod's life) would fail every connection opened after a
// rotation until the pod restarted.
package pgconf

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Conn parses url for one connection, reading a passfile now.
func Conn(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	return cfg, nil
}

// Pool parses url for a pool whose every new connection reads the passfile again.
func Pool(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	cfg.BeforeConnect = func(_ context.Context, cc *pgx.ConnConfig) error {
		return Refresh(url, cc)
	}
	return cfg, nil
}

// Refresh sets cc's password to what url gives now: the URL's own password, or the
// passfile's current entry.
func Refresh(url string, cc *pgx.ConnConfig) error {
	fresh, err := Conn(url)
	if err != nil {
		return err
	}
	cc.Password = fresh.Password
	return nil
}

// NewPool opens a pool of url (lazily: nothing connects until first used).
func NewPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := Pool(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return pool, nil
}
