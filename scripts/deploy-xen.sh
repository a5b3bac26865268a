#!/usr/bin/env bash
# Deploy a baked Xen image to a Xen host and start it.
#
#   scripts/deploy-xen.sh HOST [IMAGE_DIR]
#
# HOST is an ssh destination (user@xen-host) whose user may run xl.
# IMAGE_DIR defaults to images/out/xen (make xen). The files go to
# /var/lib/unicam/<image>/ on the host, as xl.cfg expects; a data disk
# (data.img, 1 GiB ext4 labelled UNICAM) is made there once and never
# overwritten. The guest is then created with xl create.
set -euo pipefail

host=${1:?usage: scripts/deploy-xen.sh HOST [IMAGE_DIR]}
dir=${2:-images/out/xen}
[ -f "$dir/xl.cfg" ] || { echo "deploy-xen: $dir/xl.cfg not found: run make xen first" >&2; exit 1; }
name=$(basename "$dir")
dest=/var/lib/unicam/$name

# $dest is expanded here on purpose: it is our path, quoted for the host.
# shellcheck disable=SC2029
ssh "$host" "mkdir -p '$dest'"
scp "$dir/vmlinux" "$dir/initramfs.cpio.gz" "$dir/xl.cfg" "$dir/manifest.json" "$host:$dest/"
# shellcheck disable=SC2029
ssh "$host" "cd '$dest' && (test -e data.img || mke2fs -q -t ext4 -L UNICAM data.img 1G) && xl create xl.cfg"
echo "deploy-xen: started unicam-$name on $host; its console: ssh $host xl console unicam-$name"
