package qemu

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// QMP is a connection to QEMU's machine protocol monitor.
type QMP struct {
	conn net.Conn
	r    *bufio.Reader
}

// DialQMP connects to the QMP unix socket, retrying until timeout while
// QEMU starts, and negotiates capabilities.
func DialQMP(path string, timeout time.Duration) (*QMP, error) {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.Dial("unix", path)
		if err == nil {
			// QEMU serves one QMP client at a time: a second one waits
			// for its greeting until the first leaves, so bound the wait.
			conn.SetDeadline(time.Now().Add(max(time.Until(deadline), 5*time.Second)))
			q := &QMP{conn: conn, r: bufio.NewReader(conn)}
			if _, err := q.r.ReadBytes('\n'); err != nil { // greeting
				conn.Close()
				return nil, fmt.Errorf("qmp greeting (is another QMP client connected?): %w", err)
			}
			if err := q.Execute("qmp_capabilities"); err != nil {
				conn.Close()
				return nil, err
			}
			conn.SetDeadline(time.Time{})
			return q, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("connect to QMP %s: %w", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Execute runs a QMP command without arguments and waits for its reply,
// skipping asynchronous events.
func (q *QMP) Execute(cmd string) error {
	if err := json.NewEncoder(q.conn).Encode(map[string]string{"execute": cmd}); err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	for {
		line, err := q.r.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("qmp %s: %w", cmd, err)
		}
		var reply struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Desc string `json:"desc"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line, &reply); err != nil {
			return fmt.Errorf("qmp %s: bad reply %q: %w", cmd, line, err)
		}
		if reply.Error != nil {
			return fmt.Errorf("qmp %s: %s", cmd, reply.Error.Desc)
		}
		if reply.Return != nil {
			return nil
		}
	}
}

// Close closes the connection.
func (q *QMP) Close() error { return q.conn.Close() }

// WaitEvent reads QMP events until one named name arrives (WATCHDOG,
// RESET, SHUTDOWN…) and returns when it was read, or an error at timeout.
func (q *QMP) WaitEvent(name string, timeout time.Duration) (time.Time, error) {
	q.conn.SetReadDeadline(time.Now().Add(timeout))
	defer q.conn.SetReadDeadline(time.Time{})
	for {
		line, err := q.r.ReadBytes('\n')
		if err != nil {
			return time.Time{}, fmt.Errorf("wait for QMP event %s: %w", name, err)
		}
		var ev struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(line, &ev) == nil && ev.Event == name {
			return time.Now(), nil
		}
	}
}
