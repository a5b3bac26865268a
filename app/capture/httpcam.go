package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/icholy/digest"
)

// AuthMode says how credentials reach an IP camera.
type AuthMode string

// The accepted authentication modes.
const (
	// AuthAuto answers the camera's challenge: Digest or Basic. No
	// credentials are sent before the camera asks for them.
	AuthAuto   AuthMode = "auto"
	AuthBasic  AuthMode = "basic"
	AuthDigest AuthMode = "digest"
	// AuthQuery puts them in the query string, as cheap cameras want
	// (/videostream.cgi?user=..&pwd=..).
	AuthQuery AuthMode = "query"
)

// Errors of the HTTP camera; messages never hold credentials.
var (
	ErrUnauthorized = errors.New("camera refused the credentials (HTTP 401)")
	ErrHTTPStatus   = errors.New("camera answered with an error status")
	ErrIdle         = errors.New("camera sent nothing within the idle timeout")
)

// HTTPCamera is an IP camera serving MJPEG over HTTP, or a snapshot URL
// polled at FPS. Fill the fields, then Run; Status is safe concurrently.
type HTTPCamera struct {
	// URL is the stream or snapshot address, without credentials.
	URL            *url.URL
	User, Password string
	Auth           AuthMode
	// QueryUser and QueryPassword name the query parameters of AuthQuery
	// (default user and pwd).
	QueryUser, QueryPassword string
	// Snapshot polls URL for one JPEG per frame at FPS.
	Snapshot bool
	FPS      float64
	MaxFrame int
	// ConnectTimeout bounds connecting and the response headers;
	// IdleTimeout bounds any silence while streaming.
	ConnectTimeout, IdleTimeout time.Duration
	MinBackoff, MaxBackoff      time.Duration
	Logger                      *log.Logger
	// Transport is the seam for tests; nil uses a dedicated transport.
	Transport http.RoundTripper

	client *http.Client
	st     tracker
	seq    uint64
	pool   FramePool
}

// ParseAuthMode checks an -camera-auth value.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(s); m {
	case AuthAuto, AuthBasic, AuthDigest, AuthQuery:
		return m, nil
	}
	return "", fmt.Errorf("camera auth %q: %w (accepted: auto, basic, digest, query)", s, ErrBadSetting)
}

// Name implements Source: the URL without credentials or query string.
func (c *HTTPCamera) Name() string {
	return "camera " + redact(c.URL)
}

func redact(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.Fragment = nil, "", ""
	return r.String()
}

// Status implements StatusReporter.
func (c *HTTPCamera) Status() Status { return c.st.get() }

func (c *HTTPCamera) defaults() {
	if c.Auth == "" {
		c.Auth = AuthAuto
	}
	if c.QueryUser == "" {
		c.QueryUser = "user"
	}
	if c.QueryPassword == "" {
		c.QueryPassword = "pwd"
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 10 * time.Second
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = log.Default()
	}
	c.client = &http.Client{Transport: c.transport()}
}

func (c *HTTPCamera) transport() http.RoundTripper {
	base := c.Transport
	if base == nil {
		base = &http.Transport{
			DialContext:           (&net.Dialer{Timeout: c.ConnectTimeout}).DialContext,
			ResponseHeaderTimeout: c.ConnectTimeout,
			MaxIdleConnsPerHost:   1,
			// A stream is one long body: bigger reads mean fewer syscalls
			// per frame than the default 4 KiB.
			ReadBufferSize: 64 << 10,
		}
	}
	if c.User == "" && c.Password == "" {
		return base
	}
	switch c.Auth {
	case AuthBasic:
		return basicAuth{c.User, c.Password, base}
	case AuthDigest:
		return &digest.Transport{Username: c.User, Password: c.Password, Transport: base}
	case AuthAuto:
		return challengeAuth{basicAuth{c.User, c.Password, base}, &digest.Transport{Username: c.User, Password: c.Password, Transport: base}}
	}
	return base
}

// Run implements Source: it streams until ctx ends, reconnecting after any
// failure with capped exponential backoff and jitter.
func (c *HTTPCamera) Run(ctx context.Context, emit func(*Frame)) error {
	c.defaults()
	retry(ctx, c.Name(), &c.st, backoff{min: c.MinBackoff, max: c.MaxBackoff}, c.Logger, "retrying",
		func(ctx context.Context) (int, error) { return c.session(ctx, emit) })
	return nil
}

// session runs one connection (or, for snapshots, one polling run) and
// reports how many frames it delivered.
func (c *HTTPCamera) session(ctx context.Context, emit func(*Frame)) (int, error) {
	if c.Snapshot {
		return c.poll(ctx, emit)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	body, err := c.open(ctx)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	idle := time.AfterFunc(c.IdleTimeout, func() { cancel(ErrIdle) })
	defer idle.Stop()
	fr := NewFrameReader(&idleReader{r: body, t: idle, d: c.IdleTimeout}, c.MaxFrame)
	fr.OnOversized = func() { c.st.drop(1) }
	c.st.state(c.Name(), StateStreaming)
	n := 0
	for {
		f, err := c.next(fr)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
				err = cause
			}
			if errors.Is(err, io.EOF) {
				err = errors.New("camera closed the stream")
			}
			return n, c.scrub(err)
		}
		c.deliver(f, emit)
		n++
	}
}

// next reads the next frame straight into a pooled buffer.
func (c *HTTPCamera) next(fr *FrameReader) (*Frame, error) {
	f := c.pool.get()
	fr.Use(f.JPEG)
	b, err := fr.Next()
	if err != nil {
		f.Release()
		return nil, err
	}
	f.JPEG = b
	return f, nil
}

// deliver stamps a frame, emits it and lets go of the camera's reference.
func (c *HTTPCamera) deliver(f *Frame, emit func(*Frame)) {
	now := time.Now()
	f.Width, f.Height, _ = JPEGSize(f.JPEG)
	c.seq++
	c.st.frame(len(f.JPEG), now)
	f.Time, f.Seq = now, c.seq
	emit(f)
	f.Release()
}

// open sends the request and checks the answer.
func (c *HTTPCamera) open(ctx context.Context) (io.ReadCloser, error) {
	u := *c.URL
	if c.Auth == AuthQuery && (c.User != "" || c.Password != "") {
		q := u.Query()
		q.Set(c.QueryUser, c.User)
		q.Set(c.QueryPassword, c.Password)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, c.scrub(err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.scrub(err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		resp.Body.Close()
		return nil, ErrUnauthorized
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s", ErrHTTPStatus, resp.Status)
	}
	return resp.Body, nil
}

// poll fetches one snapshot per frame interval until a fetch fails.
func (c *HTTPCamera) poll(ctx context.Context, emit func(*Frame)) (int, error) {
	fps := c.FPS
	if fps <= 0 {
		fps = 1
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / fps))
	defer tick.Stop()
	for n := 0; ; n++ {
		if err := c.snapshot(ctx, emit); err != nil {
			return n, err
		}
		c.st.state(c.Name(), StateStreaming)
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-tick.C:
		}
	}
}

func (c *HTTPCamera) snapshot(ctx context.Context, emit func(*Frame)) error {
	ctx, cancel := context.WithTimeout(ctx, c.ConnectTimeout+c.IdleTimeout)
	defer cancel()
	body, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer body.Close()
	fr := NewFrameReader(body, c.MaxFrame)
	fr.OnOversized = func() { c.st.drop(1) }
	f, err := c.next(fr)
	if err != nil {
		return fmt.Errorf("snapshot: %w", c.scrub(err))
	}
	c.deliver(f, emit)
	return nil
}

// scrub drops the URL from net/http errors: in query mode it carries the
// credentials, and the camera is already named by the caller.
func (c *HTTPCamera) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	if c.Password != "" && strings.Contains(err.Error(), c.Password) {
		return errors.New(strings.ReplaceAll(err.Error(), c.Password, "***"))
	}
	return err
}

// idleReader pushes the idle deadline back on every read that returns data.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.t.Reset(ir.d)
	}
	return n, err
}

// basicAuth sends Basic credentials with every request.
type basicAuth struct {
	user, pass string
	next       http.RoundTripper
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.pass)
	return b.next.RoundTrip(r)
}

// challengeAuth lets the digest transport answer Digest challenges and
// retries with Basic only when the camera asks for Basic.
type challengeAuth struct {
	basic  basicAuth
	digest *digest.Transport
}

func (a challengeAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.digest.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if !strings.HasPrefix(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
		return resp, nil
	}
	resp.Body.Close()
	return a.basic.RoundTrip(r)
}
