package mounts

import "testing"

func TestMounted(t *testing.T) {
	if !Mounted("/proc") {
		t.Error("Mounted(/proc) = false on a host with procfs")
	}
	if Mounted(t.TempDir()) {
		t.Error("Mounted(a fresh temporary folder) = true")
	}
	if Mounted("/no/such/folder") {
		t.Error("Mounted(a missing folder) = true")
	}
}
