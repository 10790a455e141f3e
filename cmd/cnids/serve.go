package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/internal/cli"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/web"
)

// webOpts are the flags of the web console, for cnids serve and (with
// --web as the address flag) for the sensor commands.
type webOpts struct {
	listen          string
	dataDir         string
	tlsCert, tlsKey string
	reportDir       string
	threshold       float64
	sessionIdle     time.Duration
	sessionMax      time.Duration
	lockoutFailures int
	lockoutWindow   time.Duration
	lockoutDuration time.Duration
	maxUploadMiB    int
	ringSize        int
	// ready, when set, receives the listening address once the console
	// accepts connections (tests listen on port 0).
	ready func(net.Addr)
}

// defaultDataDir is where the console keeps its account database when
// --data is not given: $XDG_STATE_HOME/cnids, or ~/.local/state/cnids.
func defaultDataDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "cnids")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "cnids")
	}
	return "cnids-data"
}

// registerData registers --data, shared by serve and users.
func (o *webOpts) registerData(fs *flag.FlagSet) {
	fs.StringVar(&o.dataDir, "data", defaultDataDir(), "data directory of the web console (account database)")
}

// register registers the console's flags; listenFlag names the address
// flag ("listen" for serve, "web" for the sensor commands, where an empty
// default leaves the console off).
func (o *webOpts) register(fs *flag.FlagSet, listenFlag, listenDefault string) {
	fs.StringVar(&o.listen, listenFlag, listenDefault, "address of the web console, HOST:PORT (localhost unless told otherwise)")
	o.registerData(fs)
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM); with --tls-key the console serves HTTPS only")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM)")
	fs.StringVar(&o.reportDir, "report-dir", "", "folder of the training report images (cnids-train fit --report DIR), shown on the model page")
	fs.DurationVar(&o.sessionIdle, "session-idle", 30*time.Minute, "sign a user out after this long without a request")
	fs.DurationVar(&o.sessionMax, "session-max", 12*time.Hour, "sign a user out this long after signing in")
	fs.IntVar(&o.lockoutFailures, "lockout-failures", 5, "failed log-ins of one account within --lockout-window that lock it")
	fs.DurationVar(&o.lockoutWindow, "lockout-window", 15*time.Minute, "window of the failed log-ins counted for a lockout")
	fs.DurationVar(&o.lockoutDuration, "lockout-duration", 15*time.Minute, "how long a locked account stays locked")
	fs.IntVar(&o.maxUploadMiB, "max-upload", 32, "largest upload to classify, in MiB")
	fs.IntVar(&o.ringSize, "alerts-kept", 10000, "events kept for the alerts page")
}

// startWeb starts the web console in the background on opts.listen, with
// the model mf (named modelName in pages and alerts). It returns the sink
// whose events the alerts page shows: a sensor running in the same
// process writes its events to it too (add it to the sensor's sinks with
// alert.NewMulti); its Close does nothing, so the console outlives the
// sensor. wait blocks until the console has stopped (after ctx is
// cancelled) and closed its database, and returns the first error.
func startWeb(ctx context.Context, opts webOpts, mf *model.File, modelName string, log zerolog.Logger) (sink alert.Sink, wait func() error, err error) {
	if opts.maxUploadMiB < 1 {
		return nil, nil, fmt.Errorf("--max-upload %d: want at least 1 (MiB)", opts.maxUploadMiB)
	}
	if opts.ringSize < 1 {
		return nil, nil, fmt.Errorf("--alerts-kept %d: want at least 1", opts.ringSize)
	}
	if opts.sessionIdle <= 0 || opts.sessionMax <= 0 || opts.lockoutWindow <= 0 || opts.lockoutDuration <= 0 || opts.lockoutFailures < 1 {
		return nil, nil, errors.New("--session-idle, --session-max, --lockout-window, --lockout-duration and --lockout-failures must be positive")
	}
	srv, err := web.New(web.Config{
		Model: mf, ModelName: modelName, Threshold: opts.threshold, DataDir: opts.dataDir, ReportDir: opts.reportDir,
		RingSize: opts.ringSize, TLSCert: opts.tlsCert, TLSKey: opts.tlsKey,
		SessionIdle: opts.sessionIdle, SessionMax: opts.sessionMax,
		LockoutFailures: opts.lockoutFailures, LockoutWindow: opts.lockoutWindow, LockoutDuration: opts.lockoutDuration,
		MaxUpload: int64(opts.maxUploadMiB) << 20,
		Log:       log.With().Str("component", "web").Logger(),
	})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("web console: %w", err)
	}
	if opts.ready != nil {
		opts.ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() {
		err := srv.Serve(ctx, ln)
		if cerr := srv.Close(); err == nil {
			err = cerr
		}
		errc <- err
	}()
	return srv.Sink(), sync.OnceValue(func() error { return <-errc }), nil
}

func cmdServe(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids serve", flag.ContinueOnError)
	var so sensorOpts
	var wo webOpts
	fs.StringVar(&so.config, "config", "", "YAML file of flag settings (keys are flag names)")
	fs.StringVar(&so.modelPath, "model", "", "model file written by cnids-train (default: the embedded NSL-KDD cnn)")
	fs.Float64Var(&wo.threshold, "threshold", -1, "alert threshold on 1 - P(normal) (default: the model's)")
	fs.StringVar(&so.logFormat, "log-format", "auto", "log format on stderr: auto, console or json")
	fs.StringVar(&so.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	wo.register(fs, "listen", "127.0.0.1:8080")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cnids serve [--listen ADDR] [--model M] [--data DIR] [--tls-cert F --tls-key F]\n\n"+
			"Serves the web console: classify connections, watch alerts, read the model's performance.\n"+
			"With no user yet, the log shows a one-time setup token for creating the first admin at /setup\n"+
			"(or run 'cnids users add --admin NAME' first).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cnids serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return cli.ErrUsage
	}
	log, err := so.newLogger(stderr)
	if err != nil {
		return err
	}
	mf, modelName, err := so.loadModel()
	if err != nil {
		return err
	}
	gemm.SetThreads(1) // requests classify concurrently
	_, wait, err := startWeb(ctx, wo, mf, modelName, log)
	if err != nil {
		return err
	}
	return wait()
}

const usersUsage = `Usage:
  cnids users add [--admin] [--data DIR] NAME   create a user (the password is read from stdin or a prompt)
  cnids users list [--data DIR]                 list the users
  cnids users disable [--data DIR] NAME         disable a user and end its sessions
  cnids users enable [--data DIR] NAME          enable a disabled user
  cnids users remove [--data DIR] NAME          remove a user, its sessions and API tokens
  cnids users password [--data DIR] NAME        set a user's password (read from stdin or a prompt)

The database is locked while cnids serve runs: manage users in the console then.
`

func cmdUsers(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usersUsage)
		return cli.ErrUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("cnids users "+sub, flag.ContinueOnError)
	var wo webOpts
	wo.registerData(fs)
	admin := false
	if sub == "add" {
		fs.BoolVar(&admin, "admin", false, "make the user an admin (default: analyst)")
	}
	fs.Usage = func() { fmt.Fprint(fs.Output(), usersUsage) }
	if err := cli.Parse(fs, args[1:], stderr); err != nil {
		return err
	}
	wantName := sub != "list"
	switch sub {
	case "add", "list", "disable", "enable", "remove", "password":
	default:
		fmt.Fprintf(stderr, "cnids users: unknown subcommand %q\n\n%s", sub, usersUsage)
		return cli.ErrUsage
	}
	if (wantName && fs.NArg() != 1) || (!wantName && fs.NArg() != 0) {
		fmt.Fprintf(stderr, "cnids users %s: wrong arguments %q\n\n%s", sub, fs.Args(), usersUsage)
		return cli.ErrUsage
	}
	st, err := web.OpenStore(wo.dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	switch sub {
	case "list":
		users, err := st.Users()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED\tLAST LOG-IN")
		for _, u := range users {
			status, last := "active", "never"
			if u.Disabled {
				status = "disabled"
			}
			if !u.LastLogin.IsZero() {
				last = u.LastLogin.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, status, u.Created.UTC().Format(time.RFC3339), last)
		}
		return tw.Flush()
	case "add", "password":
		name, err := web.NormalizeName(fs.Arg(0))
		if err != nil {
			return err
		}
		pw, err := readPassword(stdin, stderr, name)
		if err != nil {
			return err
		}
		if sub == "password" {
			if err := st.SetPassword(name, pw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "password of %s changed\n", name)
			return nil
		}
		role := web.RoleAnalyst
		if admin {
			role = web.RoleAdmin
		}
		u, err := st.AddUser(name, pw, role, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s (%s) created in %s\n", u.Name, u.Role, st.Path())
		return nil
	case "disable", "enable", "remove":
		name, err := web.NormalizeName(fs.Arg(0))
		if err != nil {
			return err
		}
		if sub == "remove" {
			err = st.RemoveUser(name)
		} else {
			err = st.SetDisabled(name, sub == "disable")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s %sd\n", name, strings.TrimSuffix(sub, "e"))
		return nil
	}
	return nil
}

// readPassword reads a new password: with a prompt, twice and hidden, when
// stdin is a terminal; otherwise the first line of stdin. It is never
// taken from a flag (flags show in the process list and shell history).
func readPassword(stdin io.Reader, stderr io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "Password for %s: ", name)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprintf(stderr, "Password again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReaderSize(stdin, 4096).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("read password: give it on standard input (one line) or run on a terminal for a prompt")
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("read password: the password is empty")
	}
	return line, nil
}
