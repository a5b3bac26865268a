package netup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/u-root/u-root/pkg/dhclient"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNoNIC means the guest has no network card besides loopback.
var ErrNoNIC = errors.New("no network card found (is a virtio-net or netfront device attached?)")

// Up configures loopback and the first network card; ip is unicam.ip.
// It returns the card's name and address for the console.
func Up(ctx context.Context, ip string) (string, error) {
	st, err := ParseIP(ip)
	if err != nil {
		return "", err
	}
	if err := linkUp("lo"); err != nil {
		return "", err
	}
	nic, err := firstNIC()
	if err != nil {
		return "", err
	}
	if st != nil {
		return nic.Attrs().Name + " " + st.Addr.String(), configureStatic(nic, st)
	}
	return dhcp(ctx, nic)
}

func linkUp(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	return nil
}

func firstNIC() (netlink.Link, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		if l.Type() == "device" && l.Attrs().Flags&net.FlagLoopback == 0 {
			return l, nil
		}
	}
	return nil, ErrNoNIC
}

func configureStatic(nic netlink.Link, st *Static) error {
	name := nic.Attrs().Name
	if err := netlink.LinkSetUp(nic); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	if err := netlink.AddrReplace(nic, &netlink.Addr{IPNet: st.IPNet()}); err != nil {
		return fmt.Errorf("address %s on %s: %w", st.Addr, name, err)
	}
	if st.Gateway.IsValid() {
		r := &netlink.Route{LinkIndex: nic.Attrs().Index, Gw: st.Gateway.AsSlice()}
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("default route via %s: %w", st.Gateway, err)
		}
	}
	return os.WriteFile("/etc/resolv.conf", []byte(st.ResolvConf()), 0o644)
}

// dhcp takes a lease for nic with insomniacslk's nclient4 and configures
// it with u-root's dhclient. It waits for the card's carrier, not for the
// operational state u-root's dhclient.SendRequests polls: the kernel
// reports that up to a second after the carrier (linkwatch), and under
// emulation that second was most of the boot's network time.
func dhcp(parent context.Context, nic netlink.Link) (string, error) {
	ctx, cancel := context.WithTimeout(parent, 30*time.Second)
	defer cancel()
	name := nic.Attrs().Name
	if err := waitCarrier(ctx, nic, 10*time.Second); err != nil {
		return "", err
	}
	client, err := nclient4.New(name, nclient4.WithTimeout(3*time.Second), nclient4.WithRetry(5))
	if err != nil {
		return "", fmt.Errorf("DHCP on %s: %w", name, err)
	}
	defer client.Close()
	lease, err := client.Request(ctx)
	if err != nil {
		return "", fmt.Errorf("DHCP on %s: %w", name, err)
	}
	p := dhclient.NewPacket4(nic, lease.ACK)
	if err := p.Configure(); err != nil {
		return "", fmt.Errorf("configure DHCP lease on %s: %w", name, err)
	}
	go renew(context.WithoutCancel(ctx), nic, leaseTime(p))
	return name + " " + p.String(), nil
}

// waitCarrier sets nic up and waits until its driver reports a carrier.
func waitCarrier(ctx context.Context, nic netlink.Link, limit time.Duration) error {
	name := nic.Attrs().Name
	if err := netlink.LinkSetUp(nic); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	deadline := time.Now().Add(limit)
	for {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return fmt.Errorf("find %s: %w", name, err)
		}
		if l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no carrier after %v (is the virtual cable connected?)", name, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SetHostname sets the kernel's host name when name is not empty.
func SetHostname(name string) error {
	if name == "" {
		return nil
	}
	return unix.Sethostname([]byte(name))
}

// leaseTime is the lease's duration, or an hour when the server gave none.
func leaseTime(p *dhclient.Packet4) time.Duration {
	if d := p.P.IPAddressLeaseTime(0); d > 0 {
		return d
	}
	return time.Hour
}

// renew asks for the lease again at half its time, for as long as the
// appliance runs; a failed renewal is retried every minute.
func renew(ctx context.Context, nic netlink.Link, lease time.Duration) {
	wait := lease / 2
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		_, err := dhcp(ctx, nic)
		if err == nil {
			return // the new lease started its own renewal
		}
		// The standard logger is silenced in PID 1 (libraries flood it).
		fmt.Fprintf(os.Stderr, "unicam: network: renew DHCP lease on %s: %v; retrying in a minute\n", nic.Attrs().Name, err)
		wait = time.Minute
	}
}

// WriteHosts writes /etc/hosts for localhost and the host name.
func WriteHosts(path, hostname string) error {
	s := "127.0.0.1\tlocalhost\n::1\tlocalhost\n"
	if hostname != "" {
		s += "127.0.1.1\t" + hostname + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// IPv6FromRA waits up to wait for the first network card to hold a global
// (or site-local) IPv6 address, which the kernel configures itself from a router
// advertisement (SLAAC); router advertisements are accepted explicitly on
// the card first. It returns the card's name and the address.
func IPv6FromRA(ctx context.Context, wait time.Duration) (string, *net.IPNet, error) {
	nic, err := firstNIC()
	if err != nil {
		return "", nil, err
	}
	name := nic.Attrs().Name
	// 2 accepts router advertisements even if forwarding is ever turned on.
	os.WriteFile("/proc/sys/net/ipv6/conf/"+name+"/accept_ra", []byte("2"), 0o644)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		addrs, err := netlink.AddrList(nic, netlink.FAMILY_V6)
		if err != nil {
			return name, nil, fmt.Errorf("list %s's IPv6 addresses: %w", name, err)
		}
		for _, a := range addrs {
			// Site scope too: QEMU's user network advertises the
			// (deprecated) site-local fec0::/64.
			if a.Scope == unix.RT_SCOPE_UNIVERSE || a.Scope == unix.RT_SCOPE_SITE {
				return name, a.IPNet, nil
			}
		}
		select {
		case <-ctx.Done():
			return name, nil, fmt.Errorf("%s: no router advertisement within %v; IPv6 is link-local only", name, wait)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
