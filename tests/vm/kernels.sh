#!/bin/sh
# Prints the Debian kernels the VM tests boot: the newest installed 6.1 and
# 6.12 cloud kernels that have both an image and headers.
for line in '6.1.0-*-cloud-amd64' '6.12.*-cloud-amd64'; do
	for img in /boot/vmlinuz-$line; do
		k=${img#/boot/vmlinuz-}
		[ -f "$img" ] && [ -d "/lib/modules/$k/build" ] && echo "$k"
	done | sort -V | tail -n 1
done | tr '\n' ' '
