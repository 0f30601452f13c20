package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

const serveHelp = `Usage: scimharness serve [flags]

Runs the reference SCIM 2.0 server. The default tenant is served at
http://ADDR/scim/v2 with the bearer token of --token (or SCIM_TOKEN); more
tenants, each at /t/{tenant}/scim/v2, come from --config.

Storage: resources are kept IN MEMORY and are LOST when the server stops.
The store is ephemeral by design: the server is a reference and a test
target, not a system of record.

Flags:
`

// serveConfig is what the serve flags say.
type serveConfig struct {
	addr           string
	token          string
	configFile     string
	maxResults     int
	maxBodyBytes   int64
	patchNoContent bool
	logFormat      string
	logLevel       string
	tlsCert        string
	tlsKey         string
	insecureListen bool
}

func serveFlags(stderr io.Writer, getenv func(string) string) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, serveHelp)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.token, "token", getenv("SCIM_TOKEN"), "bearer token of the default tenant (default $SCIM_TOKEN)")
	fs.StringVar(&c.configFile, "config", "", "YAML or JSON file with tenants and their tokens")
	fs.IntVar(&c.maxResults, "max-results", 1000, "largest page a list returns")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted (413 above)")
	fs.BoolVar(&c.patchNoContent, "patch-no-content", false, "answer PATCH with 204 instead of 200 and the resource")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (serve HTTPS)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS key file")
	fs.BoolVar(&c.insecureListen, "insecure-listen", false, "allow plain HTTP on a non-loopback address")
	return fs, c
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, c := serveFlags(stderr, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimharness serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	logger, err := newLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	tenants, err := loadTenants(c.token, c.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	if err := checkListen(c); err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	srv, err := server.New(server.Config{
		Store:          memory.New(),
		Tenants:        tenants,
		Logger:         logger,
		MaxResults:     c.maxResults,
		MaxBodyBytes:   c.maxBodyBytes,
		PatchNoContent: c.patchNoContent,
	})
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitFail
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitFail
	}
	return runHTTP(ctx, ln, srv, c, logger)
}

// runHTTP serves until ctx ends (SIGINT/SIGTERM), then drains requests in
// flight for up to 10 seconds.
func runHTTP(ctx context.Context, ln net.Listener, h http.Handler, c *serveConfig, logger *slog.Logger) int {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if c.tlsCert != "" {
		scheme = "https"
	}
	logger.Info("serving", "url", scheme+"://"+ln.Addr().String()+"/scim/v2", "store", "memory (ephemeral)")
	errc := make(chan error, 1)
	go func() {
		if c.tlsCert != "" {
			errc <- hs.ServeTLS(ln, c.tlsCert, c.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		logger.Error("server stopped", "err", err)
		return exitFail
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		return exitFail
	}
	return exitOK
}

// checkListen refuses plain HTTP on an address other hosts can reach: a
// bearer token sent in clear text to a non-loopback address can be read on
// the way.
func checkListen(c *serveConfig) error {
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.tlsCert != "" || c.insecureListen {
		return nil
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", c.addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address: serve TLS (--tls-cert, --tls-key) or pass --insecure-listen", c.addr)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}
