# exeflow — top-level build. `make help` lists the targets.
#
# The module is built with the kernel's own build system (Kbuild); the
# userspace programs with plain make. Everything kernel-specific can be
# pointed elsewhere with KVER / KDIR.

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)

# A build host often runs a kernel it has no headers for (a container, a CI
# VM): fall back to the newest Debian headers that `make deps` installed, and
# say so, rather than failing with a cryptic Kbuild error.
KVER ?= $(shell uname -r)
ifeq ($(wildcard /lib/modules/$(KVER)/build),)
  FALLBACK_KVER := $(lastword $(sort $(notdir $(wildcard /lib/modules/*-cloud-amd64))))
  ifneq ($(FALLBACK_KVER),)
    $(info exeflow: no headers for $(KVER); building for $(FALLBACK_KVER) (set KVER/KDIR to choose))
    override KVER := $(FALLBACK_KVER)
  endif
endif
KDIR ?= /lib/modules/$(KVER)/build

CC ?= gcc
PKGS := libnl-3.0 libnl-genl-3.0 liblz4 lzo2 libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
US_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Iuserspace $(PKG_CFLAGS) $(CFLAGS)
US_LIBS = $(PKG_LIBS) -pthread

# Every userspace/*.c except the programs' mains goes into one library.
US_MAINS := userspace/exeflowd.c userspace/exeflowctl.c
US_LIB_SRC := $(filter-out $(US_MAINS),$(wildcard userspace/*.c))
US_LIB_OBJ := $(US_LIB_SRC:.c=.o)
US_PROGS := userspace/exeflowd userspace/exeflowctl

DESTDIR ?=
PREFIX ?= /usr

.PHONY: all module userspace clean check check-unit check-vm sparse install \
	uninstall deps help vm-kernels demo

all: module userspace

help:
	@echo "make deps        install build and test dependencies (Debian 12, root)"
	@echo "make             build kmod/exeflow.ko (KVER/KDIR) and userspace/"
	@echo "make check       unit tests (ASan/UBSan) + VM tests on 6.1 and 6.12"
	@echo "make check-unit  unit tests only"
	@echo "make check-vm    VM tests only (VM_KERNELS=\"kver ...\" to choose)"
	@echo "make sparse      sparse over the module (C=2)"
	@echo "make demo        run exeflow in a VM and print attributed flows"
	@echo "make install     DESTDIR=... KVER=..."

deps:
	sh tests/deps.sh

# ---- kernel module -------------------------------------------------------

module:
	@test -d $(KDIR) || { echo "exeflow: kernel headers not found at $(KDIR) (run 'make deps' or set KDIR)" >&2; exit 1; }
	sh kmod/gen-compat.sh $(KDIR) $(CURDIR)/kmod
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod W=1 modules

sparse:
	sh kmod/gen-compat.sh $(KDIR) $(CURDIR)/kmod
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod C=2 modules

# ---- userspace -----------------------------------------------------------

userspace: $(US_PROGS)

userspace/%.o: userspace/%.c $(wildcard userspace/*.h) include/uapi/exeflow.h
	$(CC) $(US_CFLAGS) -c -o $@ $<

userspace/libexeflow.a: $(US_LIB_OBJ)
	$(AR) rcs $@ $^

userspace/exeflowd userspace/exeflowctl: %: %.o userspace/libexeflow.a
	$(CC) $(CFLAGS) -o $@ $^ $(US_LIBS)

# ---- tests ---------------------------------------------------------------

check: check-unit check-vm

check-unit:
	$(MAKE) -C tests/unit run

# One module build per kernel, each in its own copy of the sources, so that
# 6.1 and 6.12 objects never mix.
VM_KERNELS ?= $(shell sh tests/vm/kernels.sh)

check-vm: userspace
	@test -n "$(VM_KERNELS)" || { echo "exeflow: no test kernels installed (run 'make deps')" >&2; exit 1; }
	sh tests/vm/check.sh $(VM_KERNELS)

demo: userspace
	sh tests/vm/demo.sh $(firstword $(VM_KERNELS))

# ---- install -------------------------------------------------------------

install: all
	install -D -m 0755 userspace/exeflowd $(DESTDIR)$(PREFIX)/sbin/exeflowd
	install -D -m 0755 userspace/exeflowctl $(DESTDIR)$(PREFIX)/sbin/exeflowctl
	install -D -m 0644 kmod/exeflow.ko $(DESTDIR)/lib/modules/$(KVER)/extra/exeflow.ko
	install -D -m 0644 contrib/nfdump-exeflow.conf $(DESTDIR)/etc/exeflow/nfdump.conf
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/exeflowd $(DESTDIR)$(PREFIX)/sbin/exeflowctl
	rm -f $(DESTDIR)/lib/modules/$(KVER)/extra/exeflow.ko
	rm -f $(DESTDIR)/etc/exeflow/nfdump.conf
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
	rm -f kmod/compat-generated.h
	rm -f userspace/*.o userspace/libexeflow.a $(US_PROGS)
	$(MAKE) -C tests/unit clean
	rm -rf build
