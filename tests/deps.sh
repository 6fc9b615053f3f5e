#!/bin/sh
# Installs every build and test dependency from Debian 12 packages.
# Run as root on a fresh machine; `make deps` calls it.
set -eu
[ "$(id -u)" = 0 ] || { echo "make deps: run as root (apt-get)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The newest bookworm 6.12 cloud kernel; its headers pull in the image.
k612=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9.]+\+deb12-cloud-amd64$' \
	| awk '{print $1}' | sort -V | tail -n 1)
[ -n "$k612" ] || { echo "make deps: no 6.12 cloud kernel headers in the apt sources" >&2; exit 1; }
k612img=$(echo "$k612" | sed 's/headers/image/')
apt-get install -y -q --no-install-recommends \
	build-essential pkg-config sparse kmod cpio xz-utils zstd \
	linux-image-cloud-amd64 linux-headers-cloud-amd64 "$k612img" "$k612" \
	qemu-system-x86 busybox-static iproute2 nfdump debootstrap debian-archive-keyring \
	libnl-3-dev libnl-genl-3-dev check liblz4-dev liblzo2-dev libssl-dev \
	dkms dh-dkms debhelper lintian openssl man-db systemd \
	linux-source-6.1 flex bison libelf-dev bc \
	clang libclang-rt-14-dev iperf3
