#!/usr/bin/env bash
# The one list of Debian packages unicam needs to build, run and test.
# Installs only what is missing; needs root (or prints what to run).
set -euo pipefail

packages=(
  qemu-system-x86   # boots the image (make run, make test)
  e2fsprogs         # mke2fs for the data disk, e2fsck in tests
  erofs-utils       # mkfs.erofs: the tiny image's read-only system disk
  kmod              # depmod for the kernel's modules.dep
  dpkg              # dpkg-deb unpacks the kernel package
  ffmpeg            # ffprobe checks recordings in tests
  ca-certificates   # the Go module proxy over HTTPS
  chromium          # the web UI tested in a real browser (headless)
  xz-utils          # extracts the ELF vmlinux for Xen PVH
  grub-pc-bin       # the ISO boots with BIOS ...
  grub-efi-amd64-bin # ... and UEFI
  grub-common       # grub-mkrescue
  mtools            # grub-mkrescue's EFI image, and the raw disk's EFI partition
  fdisk             # sfdisk partitions the raw disk
  xorriso           # grub-mkrescue writes the ISO with it
  libvirt-clients   # virt-xml-validate checks the libvirt domain
  ovmf              # UEFI firmware, to boot the ISO the UEFI way in tests
  shellcheck        # checks scripts/ in make test
  libxml2-utils     # xmllint, which virt-xml-validate runs
  libjpeg62-turbo-dev # libjpeg-turbo, linked into the camera for YUYV → JPEG
  linux-source      # the minimal kernel (KERNEL=minimal, the tiny image) ...
  build-essential   # ... is built from it with gcc and make,
  bc                # ... bc,
  bison             # ... bison,
  flex              # ... flex,
  libelf-dev        # ... libelf (objtool)
  libssl-dev        # ... and OpenSSL's headers (sign-file, certs)
  curl              # make bench: curl -o, the byte-copy limit for ingest
  motion            # make bench: Debian's motion, recording the same camera
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The kernel is fetched with apt-get download, which needs package lists.
lists=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -1)
[ ${#missing[@]} -eq 0 ] && [ -n "$lists" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing: ${missing[*]:-(package lists only)}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
[ ${#missing[@]} -eq 0 ] && exit 0
apt-get install -y -q --no-install-recommends "${missing[@]}"
