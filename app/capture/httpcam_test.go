package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icholy/digest"
)

// collect runs cam until it has delivered n frames or the limit passes.
func collect(t *testing.T, cam *HTTPCamera, n int, limit time.Duration) []*Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var mu sync.Mutex
	var got []*Frame
	done := make(chan error, 1)
	go func() {
		done <- cam.Run(ctx, func(f *Frame) {
			mu.Lock()
			defer mu.Unlock()
			f.Retain()
			got = append(got, f)
			if len(got) == n {
				cancel()
			}
		})
	}()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

func newCam(t *testing.T, rawURL string) (*HTTPCamera, *bytes.Buffer) {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cam := &HTTPCamera{URL: u, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		IdleTimeout: 500 * time.Millisecond, ConnectTimeout: time.Second, Logger: log.New(&syncWriter{w: &logs}, "", 0)}
	cam.pool.Poison = true // a frame read after its release fails the JPEG checks
	return cam, &logs
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// mjpegServer streams frames as multipart/x-mixed-replace, then holds the
// connection open until the client leaves.
func mjpegServer(frames [][]byte, contentType string, check func(*http.Request) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if check != nil && !check(r) {
			return
		}
		w.Header().Set("Content-Type", contentType)
		fl := w.(http.Flusher)
		for _, f := range frames {
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\n\r\n")
			w.Write(f)
			w.Write([]byte("\r\n"))
			fl.Flush()
		}
		<-r.Context().Done()
	}
}

func TestHTTPCameraQuirkStreams(t *testing.T) {
	frames := [][]byte{testJPEG(t, 64, 48, 1), testJPEG(t, 64, 48, 2), testJPEG(t, 64, 48, 3)}
	for name, stream := range quirkStreams(frames) {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// No Content-Length and a flush: the body goes out chunked.
				w.Header().Set("Content-Type", "multipart/x-mixed-replace")
				w.Write(stream)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}))
			defer srv.Close()
			cam, _ := newCam(t, srv.URL+"/video.mjpg")
			got := collect(t, cam, 3, 10*time.Second)
			if len(got) != 3 {
				t.Fatalf("%d frames, want 3", len(got))
			}
			for i, f := range got {
				if !bytes.Equal(f.JPEG, frames[i]) || f.Width != 64 || f.Height != 48 || f.Seq != uint64(i+1) {
					t.Errorf("frame %d: %d bytes %dx%d seq %d", i, len(f.JPEG), f.Width, f.Height, f.Seq)
				}
			}
		})
	}
}

func TestHTTPCameraAuth(t *testing.T) {
	frames := [][]byte{testJPEG(t, 32, 32, 1), testJPEG(t, 32, 32, 2)}
	const user, pass = "admin", "s3cret!"
	basic := func(r *http.Request) bool { u, p, ok := r.BasicAuth(); return ok && u == user && p == pass }
	query := func(r *http.Request) bool {
		return r.URL.Query().Get("user") == user && r.URL.Query().Get("pwd") == pass
	}
	for _, tc := range []struct {
		name string
		mode AuthMode
		h    http.Handler
	}{
		{"basic", AuthBasic, requireAuth(basic, `Basic realm="cam"`, frames)},
		{"auto answers basic", AuthAuto, requireAuth(basic, `Basic realm="cam"`, frames)},
		{"digest", AuthDigest, digestServer(user, pass, frames)},
		{"auto answers digest", AuthAuto, digestServer(user, pass, frames)},
		{"query string", AuthQuery, requireAuth(query, "", frames)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			cam, logs := newCam(t, srv.URL+"/videostream.cgi")
			cam.User, cam.Password, cam.Auth = user, pass, tc.mode
			if got := collect(t, cam, 2, 10*time.Second); len(got) != 2 {
				t.Fatalf("%d frames, want 2; log:\n%s", len(got), logs)
			}
			if strings.Contains(logs.String(), pass) {
				t.Errorf("password in the log:\n%s", logs)
			}
		})
	}
}

func requireAuth(ok func(*http.Request) bool, challenge string, frames [][]byte) http.Handler {
	stream := mjpegServer(frames, "multipart/x-mixed-replace; boundary=frame", nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ok(r) {
			if challenge != "" {
				w.Header().Set("WWW-Authenticate", challenge)
			}
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		stream(w, r)
	})
}

// digestServer checks RFC 7616 Digest credentials with the same library's
// computation, on the server side.
func digestServer(user, pass string, frames [][]byte) http.Handler {
	chal := &digest.Challenge{Realm: "cam", Nonce: "5fe0a8b1", Algorithm: "MD5", QOP: []string{"auth"}}
	stream := mjpegServer(frames, "multipart/x-mixed-replace; boundary=frame", nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds, err := digest.ParseCredentials(r.Header.Get("Authorization"))
		if err == nil {
			want, err := digest.Digest(chal, digest.Options{Method: r.Method, URI: creds.URI, Username: user, Password: pass, Cnonce: creds.Cnonce, Count: creds.Nc})
			if err == nil && creds.Username == user && want.Response == creds.Response {
				stream(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", chal.String())
		w.WriteHeader(http.StatusUnauthorized)
	})
}

func TestHTTPCameraUnauthorizedBacksOff(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	cam, logs := newCam(t, srv.URL+"/videostream.cgi")
	cam.User, cam.Password, cam.Auth = "admin", "wrong-password", AuthQuery
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	cam.Run(ctx, func(*Frame) {})
	// 20 ms doubling to 200 ms: about 10 tries in 1.5 s; a hot loop makes thousands.
	if n := hits.Load(); n < 3 || n > 15 {
		t.Errorf("%d requests in 1.5 s; want capped exponential backoff", n)
	}
	st := cam.Status()
	if !strings.Contains(st.LastError, "camera refused the credentials") || st.State != StateStopped {
		t.Errorf("status %+v", st)
	}
	if strings.Contains(logs.String(), "wrong-password") || strings.Contains(st.LastError, "wrong-password") {
		t.Errorf("password leaked:\n%s", logs)
	}
}

func TestHTTPCameraFaultsReconnect(t *testing.T) {
	good := testJPEG(t, 48, 32, 5)
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request)
		want  string
	}{
		{"status 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, "500"},
		{"stall mid-frame", func(w http.ResponseWriter, r *http.Request) {
			w.Write(good[:len(good)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, ErrIdle.Error()},
		{"connection reset", func(w http.ResponseWriter, r *http.Request) {
			w.Write(good[:len(good)/2])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}, ""},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("\x00garbage\xff"), 1000))
		}, "closed the stream"},
		{"endless frame", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02})
			for i := 0; i < 40 && r.Context().Err() == nil; i++ {
				w.Write(make([]byte, 8<<10))
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					tc.fault(w, r)
					return
				}
				mjpegServer([][]byte{good, good}, "multipart/x-mixed-replace; boundary=frame", nil)(w, r)
			}))
			defer srv.Close()
			cam, logs := newCam(t, srv.URL+"/")
			cam.MaxFrame = 64 << 10
			got := collect(t, cam, 2, 10*time.Second)
			if len(got) != 2 {
				t.Fatalf("%d frames after the fault, want 2; log:\n%s", len(got), logs)
			}
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("log lacks %q:\n%s", tc.want, logs)
			}
		})
	}
}

func TestHTTPCameraSlowDrip(t *testing.T) {
	j := testJPEG(t, 32, 32, 7)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, b := range j {
			w.Write([]byte{b})
			w.(http.Flusher).Flush()
			if r.Context().Err() != nil {
				return
			}
			time.Sleep(time.Millisecond / 2)
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	cam, logs := newCam(t, srv.URL)
	if got := collect(t, cam, 1, 20*time.Second); len(got) != 1 || !bytes.Equal(got[0].JPEG, j) {
		t.Fatalf("slow drip: %d frames; log:\n%s", len(got), logs)
	}
}

func TestHTTPCameraVanishesAndReturns(t *testing.T) {
	j := testJPEG(t, 32, 32, 8)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	h := mjpegServer([][]byte{j}, "multipart/x-mixed-replace; boundary=frame", nil)
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	cam, logs := newCam(t, "http://"+addr+"/")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	frames := make(chan *Frame, 10)
	go cam.Run(ctx, func(f *Frame) { f.Retain(); frames <- f })
	<-frames
	srv.Close() // the camera vanishes
	time.Sleep(300 * time.Millisecond)
	if st := cam.Status(); st.State == StateStreaming {
		t.Errorf("still streaming after the camera vanished: %+v", st)
	}
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := &http.Server{Handler: h}
	go srv2.Serve(ln2)
	defer srv2.Close()
	select {
	case <-frames:
	case <-ctx.Done():
		t.Fatalf("no frame after the camera came back; log:\n%s", logs)
	}
}

func TestHTTPCameraSnapshotPolling(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(testJPEG(t, 16, 16, int(n.Add(1))))
	}))
	defer srv.Close()
	cam, _ := newCam(t, srv.URL+"/snapshot.jpg")
	cam.Snapshot, cam.FPS = true, 20
	got := collect(t, cam, 3, 10*time.Second)
	if len(got) != 3 || bytes.Equal(got[0].JPEG, got[1].JPEG) {
		t.Fatalf("snapshot polling gave %d frames", len(got))
	}
}

func TestNameHidesCredentials(t *testing.T) {
	u, _ := url.Parse("http://admin:pw@cam.local/videostream.cgi?user=admin&pwd=pw")
	cam := &HTTPCamera{URL: u}
	if n := cam.Name(); strings.Contains(n, "pw") || strings.Contains(n, "admin") {
		t.Errorf("Name = %q", n)
	}
	if _, err := ParseAuthMode("kerberos"); !errors.Is(err, ErrBadSetting) {
		t.Errorf("ParseAuthMode(kerberos) = %v", err)
	}
}
