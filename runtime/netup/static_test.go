package netup

import (
	"errors"
	"testing"
)

func TestParseIP(t *testing.T) {
	for _, ok := range []string{"", "dhcp", "192.0.2.10/24", "192.0.2.10/24,gw=192.0.2.1,dns=192.0.2.53+192.0.2.54"} {
		if _, err := ParseIP(ok); err != nil {
			t.Errorf("ParseIP(%q) = %v", ok, err)
		}
	}
	st, _ := ParseIP("192.0.2.10/24,gw=192.0.2.1,dns=192.0.2.53")
	if st.IPNet().String() != "192.0.2.10/24" || st.Gateway.String() != "192.0.2.1" || st.ResolvConf() != "nameserver 192.0.2.53\n" {
		t.Errorf("ParseIP = %+v", st)
	}
	for _, bad := range []string{"192.0.2.10", "2001:db8::1/64", "192.0.2.10/24,gw=x", "192.0.2.10/24,mtu=9000", "192.0.2.10/24,dns=nope"} {
		if _, err := ParseIP(bad); !errors.Is(err, ErrBadIP) {
			t.Errorf("ParseIP(%q) = %v, want ErrBadIP", bad, err)
		}
	}
}

func FuzzParseIP(f *testing.F) {
	f.Add("192.0.2.10/24,gw=192.0.2.1,dns=192.0.2.53")
	f.Add("dhcp")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseIP(s)
		if err == nil && st != nil && !st.Addr.Addr().Is4() {
			t.Fatalf("accepted non-IPv4 %q", s)
		}
	})
}
