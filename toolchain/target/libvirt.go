package target

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
)

func init() { register("libvirt", libvirtTarget{}) }

// libvirtTarget writes a libvirt domain (direct kernel boot) for virsh
// define.
type libvirtTarget struct{}

// DomainFile is the libvirt domain XML's name.
const DomainFile = "domain.xml"

type domain struct {
	XMLName xml.Name `xml:"domain"`
	Type    string   `xml:"type,attr"`
	Name    string   `xml:"name"`
	Memory  struct {
		Unit  string `xml:"unit,attr"`
		Value int    `xml:",chardata"`
	} `xml:"memory"`
	VCPU int `xml:"vcpu"`
	OS   struct {
		Type struct {
			Arch    string `xml:"arch,attr"`
			Machine string `xml:"machine,attr"`
			Value   string `xml:",chardata"`
		} `xml:"type"`
		Kernel  string `xml:"kernel"`
		Initrd  string `xml:"initrd"`
		Cmdline string `xml:"cmdline"`
	} `xml:"os"`
	Features struct {
		ACPI struct{} `xml:"acpi"`
	} `xml:"features"`
	OnPoweroff string  `xml:"on_poweroff"`
	OnReboot   string  `xml:"on_reboot"`
	OnCrash    string  `xml:"on_crash"`
	Devices    devices `xml:"devices"`
}

type devices struct {
	Disk struct {
		Type   string `xml:"type,attr"`
		Device string `xml:"device,attr"`
		Driver struct {
			Name string `xml:"name,attr"`
			Type string `xml:"type,attr"`
		} `xml:"driver"`
		Source struct {
			File string `xml:"file,attr"`
		} `xml:"source"`
		Target struct {
			Dev string `xml:"dev,attr"`
			Bus string `xml:"bus,attr"`
		} `xml:"target"`
	} `xml:"disk"`
	Interface struct {
		Type   string `xml:"type,attr"`
		Source struct {
			Network string `xml:"network,attr"`
		} `xml:"source"`
		Model struct {
			Type string `xml:"type,attr"`
		} `xml:"model"`
	} `xml:"interface"`
	Serial struct {
		Type   string `xml:"type,attr"`
		Target struct {
			Port int `xml:"port,attr"`
		} `xml:"target"`
	} `xml:"serial"`
	Console struct {
		Type string `xml:"type,attr"`
	} `xml:"console"`
	Watchdog struct {
		Model  string `xml:"model,attr"`
		Action string `xml:"action,attr"`
	} `xml:"watchdog"`
	RNG struct {
		Model   string `xml:"model,attr"`
		Backend struct {
			Model string `xml:"model,attr"`
			Value string `xml:",chardata"`
		} `xml:"backend"`
	} `xml:"rng"`
}

// DomainXML renders the domain for files kept in dir. It is a pure
// function.
func DomainXML(in Inputs, dir string) ([]byte, error) {
	d := domain{Type: "kvm", Name: "unicam-" + in.Name, VCPU: in.CPUs, OnPoweroff: "destroy", OnReboot: "restart", OnCrash: "restart"}
	d.Memory.Unit, d.Memory.Value = "MiB", in.MemoryMiB
	d.OS.Type.Arch, d.OS.Type.Machine, d.OS.Type.Value = "x86_64", "q35", "hvm"
	d.OS.Kernel, d.OS.Initrd, d.OS.Cmdline = dir+"/"+in.Kernel, dir+"/"+in.Initramfs, in.Cmdline
	dv := &d.Devices
	dv.Disk.Type, dv.Disk.Device = "file", "disk"
	dv.Disk.Driver.Name, dv.Disk.Driver.Type = "qemu", "raw"
	dv.Disk.Source.File = dir + "/data.img"
	dv.Disk.Target.Dev, dv.Disk.Target.Bus = "vda", "virtio"
	dv.Interface.Type, dv.Interface.Source.Network, dv.Interface.Model.Type = "network", "default", "virtio"
	dv.Serial.Type, dv.Console.Type = "pty", "pty"
	dv.Watchdog.Model, dv.Watchdog.Action = "i6300esb", "reset"
	dv.RNG.Model, dv.RNG.Backend.Model, dv.RNG.Backend.Value = "virtio", "random", "/dev/urandom"
	b, err := xml.MarshalIndent(d, "", "  ")
	return append(b, '\n'), err
}

func (libvirtTarget) Build(_ context.Context, in Inputs) ([]string, error) {
	b, err := DomainXML(in, HostDir+"/"+in.Name)
	if err != nil {
		return nil, err
	}
	return []string{DomainFile}, os.WriteFile(filepath.Join(in.Dir, DomainFile), b, 0o644)
}
