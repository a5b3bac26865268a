package images

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestS2LoginLimits runs the camera binary on the host and logs in over
// loopback from many source addresses (127.0.0.0/8): in the VM every
// client shares QEMU's NAT address, which the limiter rightly treats as
// one client. 1,000 wrong logins from one address are cut to 5 tries a
// minute, and a wrong password takes as long for an unknown user as for
// the real one.
func TestS2LoginLimits(t *testing.T) {
	vmTest(t)
	base := startHostCamera(t, t.TempDir(), "-width", "160", "-height", "90").url
	codes := map[int]int{}
	from := clientFrom("127.0.0.2")
	for range 1000 {
		codes[login(t, from, base, "admin", "wrong-password-1")]++
	}
	if codes[429] < 995 || codes[200]+codes[303] > 0 {
		t.Errorf("1,000 wrong logins from one address: %v, want 5 × 401 then 429", codes)
	}
	var known, unknown []time.Duration
	for i := range 400 {
		c := clientFrom(fmt.Sprintf("127.0.1.%d", 1+i/4))
		user := "admin"
		if i%2 == 1 {
			user = "nobody"
		}
		start := time.Now()
		if code := login(t, c, base, user, "wrong-password-1"); code != 401 {
			t.Fatalf("wrong login %d: %d, want 401", i, code)
		}
		if user == "admin" {
			known = append(known, time.Since(start))
		} else {
			unknown = append(unknown, time.Since(start))
		}
	}
	diff := median(known) - median(unknown)
	if diff.Abs() >= time.Millisecond {
		t.Errorf("median wrong login: real user %v, unknown user %v: differ by %v, want < 1 ms", median(known), median(unknown), diff)
	}
	figure(t, "S2", "login rate limit and user-name timing",
		"1,000 wrong logins from one address: %d × 401, %d × 429; median wrong login %.3f ms for the real user, %.3f ms for an unknown one: %.3f ms apart (200 each, camera binary on the host over loopback)",
		codes[401], codes[429], ms(median(known)), ms(median(unknown)), ms(diff.Abs()))
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}

// clientFrom is an HTTP client whose connections come from addr.
func clientFrom(addr string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) }},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func login(t *testing.T, c *http.Client, base, user, pass string) int {
	resp, err := c.PostForm(base+"/login", url.Values{"user": {user}, "password": {pass}})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
