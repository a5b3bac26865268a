// Package netup brings the appliance's network up: loopback, then the
// first network card by DHCP or with a static address from the config.
package netup

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ErrBadIP marks an unusable unicam.ip value.
var ErrBadIP = errors.New("bad unicam.ip")

// Static is a fixed IPv4 configuration.
type Static struct {
	Addr    netip.Prefix
	Gateway netip.Addr
	DNS     []netip.Addr
}

// ParseIP reads unicam.ip: "dhcp" (or empty) gives nil; otherwise
// ADDR/LEN[,gw=ADDR][,dns=ADDR[+ADDR…]], e.g. 192.0.2.10/24,gw=192.0.2.1,dns=192.0.2.53.
func ParseIP(s string) (*Static, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "dhcp" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	p, err := netip.ParsePrefix(parts[0])
	if err != nil || !p.Addr().Is4() {
		return nil, fmt.Errorf("%w %q: want dhcp or ADDR/LEN[,gw=ADDR][,dns=ADDR], e.g. 192.0.2.10/24,gw=192.0.2.1", ErrBadIP, s)
	}
	st := &Static{Addr: p}
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "gw":
			if st.Gateway, err = netip.ParseAddr(v); err != nil || !st.Gateway.Is4() {
				return nil, fmt.Errorf("%w %q: gateway %q is not an IPv4 address", ErrBadIP, s, v)
			}
		case "dns":
			for _, d := range strings.Split(v, "+") {
				a, err := netip.ParseAddr(d)
				if err != nil {
					return nil, fmt.Errorf("%w %q: dns %q is not an IP address", ErrBadIP, s, d)
				}
				st.DNS = append(st.DNS, a)
			}
		default:
			return nil, fmt.Errorf("%w %q: unknown part %q (accepted: gw=, dns=)", ErrBadIP, s, kv)
		}
	}
	return st, nil
}

// IPNet is the address in the form netlink takes.
func (s *Static) IPNet() *net.IPNet {
	return &net.IPNet{IP: s.Addr.Addr().AsSlice(), Mask: net.CIDRMask(s.Addr.Bits(), 32)}
}

// ResolvConf is the /etc/resolv.conf text for s.
func (s *Static) ResolvConf() string {
	var b strings.Builder
	for _, d := range s.DNS {
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	return b.String()
}
