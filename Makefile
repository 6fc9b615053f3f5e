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

.PHONY: all module userspace clean check check-unit check-vm check-install sparse install \
	uninstall deps help vm-kernels demo

all: module userspace

help:
	@echo "make deps        install build and test dependencies (Debian 12, root)"
	@echo "make             build kmod/exeflow.ko (KVER/KDIR) and userspace/"
	@echo "make check       unit tests (ASan/UBSan) + VM tests on 6.1 and 6.12 + packaging"
	@echo "make check-all   everything CI runs: check, check-debug, check-matrix, fuzz"
	@echo "make check-unit  unit tests only"
	@echo "make fuzz        libFuzzer targets, FUZZ_SECONDS=30 each (clang)"
	@echo "make check-vm    VM tests only (VM_KERNELS=\"kver ...\" to choose)"
	@echo "make sparse      sparse over the module (C=2)"
	@echo "make debug-kernel  build the debug kernel (cached in EXEFLOW_CACHE)"
	@echo "make check-debug VM tests on the debug kernel (KASAN/kmemleak/lockdep)"
	@echo "make check-matrix  build + VM tests on every Debian kernel line, 5.10 to 7.x"
	@echo "make demo        run exeflow in a VM and print attributed flows"
	@echo "make bench       benchmarks, one table (bench-quick: shorter; bench/README.md)"
	@echo "make install     DESTDIR=... KVER=... [INSTALL_MODULE=ko|dkms|none]"
	@echo "make uninstall   (keeps /var/lib/exeflow)"
	@echo "make dkms-install / dkms-uninstall   the module through DKMS"
	@echo "make deb         Debian packages exeflow, exeflow-dkms in build/deb/"

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

check: check-unit check-vm check-install

# Everything CI runs. check-vm already boots 6.1 and 6.12 with every
# scenario, so the matrix adds the other two lines here (make check-matrix
# alone runs all four).
.PHONY: check-all
check-all:
	$(MAKE) check
	$(MAKE) check-debug
	$(MAKE) check-matrix MATRIX_LINES="bullseye-security trixie-backports"
	$(MAKE) fuzz

check-unit:
	$(MAKE) -C tests/unit run

# libFuzzer targets (clang, ASan/UBSan), FUZZ_SECONDS each (default 30).
.PHONY: fuzz
fuzz:
	$(MAKE) -C tests/fuzz run

# One module build per kernel, each in its own copy of the sources, so that
# 6.1 and 6.12 objects never mix.
VM_KERNELS ?= $(shell sh tests/vm/kernels.sh)

check-vm: userspace
	@test -n "$(VM_KERNELS)" || { echo "exeflow: no test kernels installed (run 'make deps')" >&2; exit 1; }
	sh tests/vm/check.sh $(VM_KERNELS)

# Packaging: DKMS builds for both test kernels, make install into a
# throw-away root (systemd-analyze verify), and the Debian packages.
check-install:
	sh tests/install/dkms-build.sh $(VM_KERNELS)
	sh tests/install/install.sh
	sh tests/install/deb.sh

demo: userspace
	sh tests/vm/demo.sh $(firstword $(VM_KERNELS))

# Benchmarks (bench/README.md): kernel figures in a QEMU guest (never this
# host's kernel), userspace figures on this machine; prints one table.
.PHONY: bench bench-quick
bench: userspace
	sh bench/run.sh

bench-quick: userspace
	BENCH_QUICK=1 sh bench/run.sh

# Debug kernel (KASAN, kmemleak, lockdep, ...) built from linux-source-6.1
# into a cache outside the checkout (EXEFLOW_CACHE), and the VM scenarios on it.
.PHONY: debug-kernel check-debug
debug-kernel:
	sh tests/debug/build-kernel.sh

check-debug: userspace
	sh tests/debug/check.sh

# Every Debian kernel line, 5.10 to 7.x: the module built with each kernel's
# own headers and compiler (chroots and images cached in
# /var/cache/exeflow/matrix), then the VM scenarios booted on each kernel.
# MATRIX_LINES="bullseye-security bookworm bookworm-security trixie-backports"
.PHONY: check-matrix
check-matrix: userspace
	sh tests/matrix/matrix.sh $(MATRIX_LINES)

# ---- install -------------------------------------------------------------
# make install            programs, systemd unit, man pages, configuration,
#                         and kmod/exeflow.ko built for KVER (into
#                         /lib/modules/KVER/extra). INSTALL_MODULE=dkms puts
#                         the module under DKMS instead (rebuilt for every new
#                         kernel), INSTALL_MODULE=none leaves it out.
# make dkms-install       register, build and install the module with DKMS
# make deb                Debian packages exeflow + exeflow-dkms in build/deb
# Neither uninstall target touches /var/lib/exeflow (the collected flows).

INSTALL_MODULE ?= ko
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
MODLOADDIR ?= /usr/lib/modules-load.d
DKMS_SRCDIR = /usr/src/exeflow-$(VERSION)
# Files in /etc that an admin edits: installed only if absent, removed only
# if unchanged.
ETC_EXAMPLES := modprobe.d/exeflow.conf default/exeflowd
# Module sources only: objects of an in-tree build for another kernel must
# never reach a DKMS or package tree.
SRC_EXCLUDE := --no-wildcards-match-slash --exclude='*.o' --exclude='*.ko' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
	--exclude='Module.symvers' --exclude='modules.order' \
	--exclude='.tmp_versions' --exclude='compat-generated.h'

.PHONY: install-userspace install-module-ko install-module-dkms \
	install-module-none dkms-src dkms-install dkms-uninstall deb

install: install-userspace install-module-$(INSTALL_MODULE)
	@if [ -z "$(DESTDIR)" ]; then echo "exeflow: installed; start it with: systemctl enable --now exeflowd"; fi

install-userspace: userspace
	install -D -m 0755 userspace/exeflowd $(DESTDIR)$(SBINDIR)/exeflowd
	install -D -m 0755 userspace/exeflowctl $(DESTDIR)$(SBINDIR)/exeflowctl
	install -D -m 0644 contrib/nfdump-exeflow.conf $(DESTDIR)/etc/exeflow/nfdump.conf
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/exeflowd|$(SBINDIR)/exeflowd|' contrib/exeflowd.service >$(DESTDIR)$(UNITDIR)/exeflowd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/exeflowd.service
	install -D -m 0644 contrib/sysusers.d/exeflow.conf $(DESTDIR)$(SYSUSERSDIR)/exeflow.conf
	install -D -m 0644 contrib/modules-load.d/exeflow.conf $(DESTDIR)$(MODLOADDIR)/exeflow.conf
	install -D -m 0644 contrib/man/exeflowd.8 $(DESTDIR)$(MANDIR)/man8/exeflowd.8
	install -D -m 0644 contrib/man/exeflowctl.8 $(DESTDIR)$(MANDIR)/man8/exeflowctl.8
	install -D -m 0644 contrib/man/exeflow.4 $(DESTDIR)$(MANDIR)/man4/exeflow.4
	@for f in $(ETC_EXAMPLES); do \
		if [ -e $(DESTDIR)/etc/$$f ]; then echo "exeflow: keeping existing /etc/$$f"; \
		else echo "install -D -m 0644 contrib/$$f $(DESTDIR)/etc/$$f"; \
		install -D -m 0644 contrib/$$f $(DESTDIR)/etc/$$f || exit 1; fi; done
	@if [ -z "$(DESTDIR)" ]; then \
		if command -v systemd-sysusers >/dev/null; then systemd-sysusers $(SYSUSERSDIR)/exeflow.conf; \
		elif ! id -u exeflow >/dev/null 2>&1; then useradd --system --user-group \
			--home-dir /var/lib/exeflow --no-create-home --shell /usr/sbin/nologin exeflow; fi; \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi

install-module-ko: module
	install -D -m 0644 kmod/exeflow.ko $(DESTDIR)/lib/modules/$(KVER)/extra/exeflow.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

install-module-dkms: dkms-install

install-module-none:

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemctl disable --now exeflowd.service 2>/dev/null || true; fi
	rm -f $(DESTDIR)$(SBINDIR)/exeflowd $(DESTDIR)$(SBINDIR)/exeflowctl
	rm -f $(DESTDIR)$(UNITDIR)/exeflowd.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/exeflow.conf $(DESTDIR)$(MODLOADDIR)/exeflow.conf
	rm -f $(DESTDIR)$(MANDIR)/man8/exeflowd.8 $(DESTDIR)$(MANDIR)/man8/exeflowctl.8
	rm -f $(DESTDIR)$(MANDIR)/man4/exeflow.4
	rm -f $(DESTDIR)/etc/exeflow/nfdump.conf
	rmdir $(DESTDIR)/etc/exeflow 2>/dev/null || true
	@for f in $(ETC_EXAMPLES); do \
		if cmp -s contrib/$$f $(DESTDIR)/etc/$$f; then echo "rm -f $(DESTDIR)/etc/$$f"; rm -f $(DESTDIR)/etc/$$f; \
		elif [ -e $(DESTDIR)/etc/$$f ]; then echo "exeflow: keeping /etc/$$f (locally modified)"; fi; done
	@for ko in $(DESTDIR)/lib/modules/*/extra/exeflow.ko; do \
		[ -e "$$ko" ] || continue; echo "rm -f $$ko"; rm -f "$$ko"; rmdir "$${ko%/*}" 2>/dev/null || true; \
		if [ -z "$(DESTDIR)" ]; then kv=$${ko#/lib/modules/}; depmod -a $${kv%%/*}; fi; done
	@if [ "$(INSTALL_MODULE)" = dkms ]; then $(MAKE) dkms-uninstall; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "exeflow: kept /var/lib/exeflow (collected flows) and the user 'exeflow'; a loaded module stays until 'modprobe -r exeflow' or reboot"

# The module's DKMS source tree (what dkms add registers and exeflow-dkms
# ships): dkms.conf, Kbuild, kmod/ and include/, without build products.
dkms-src:
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	mkdir -p $(DESTDIR)$(DKMS_SRCDIR)
	tar -cf - $(SRC_EXCLUDE) dkms.conf Kbuild kmod include | tar -xf - -C $(DESTDIR)$(DKMS_SRCDIR)
	chmod 0755 $(DESTDIR)$(DKMS_SRCDIR)/kmod/gen-compat.sh

# Re-running replaces an earlier registration of the same version. A copy
# that `make install` put in .../extra would be a stale second exeflow.ko:
# it goes.
dkms-install:
	@[ -z "$(DESTDIR)" ] || { echo "exeflow: dkms-install works on this system only (no DESTDIR)" >&2; exit 1; }
	@if [ -n "$$(dkms status -m exeflow -v $(VERSION) 2>/dev/null)" ]; then \
		echo "dkms remove -m exeflow -v $(VERSION) --all"; dkms remove -m exeflow -v $(VERSION) --all; fi
	$(MAKE) dkms-src DESTDIR=
	dkms add -m exeflow -v $(VERSION)
	dkms build -m exeflow -v $(VERSION) -k $(KVER)
	rm -f /lib/modules/$(KVER)/extra/exeflow.ko
	dkms install -m exeflow -v $(VERSION) -k $(KVER)

# Every registered version; a source tree that a package owns stays.
dkms-uninstall:
	@for v in $$(dkms status -m exeflow 2>/dev/null | sed -n 's|^exeflow/\([^,:]*\).*|\1|p' | sort -u); do \
		echo "dkms remove -m exeflow -v $$v --all"; dkms remove -m exeflow -v $$v --all || exit 1; \
		if dpkg -S /usr/src/exeflow-$$v >/dev/null 2>&1; then echo "exeflow: /usr/src/exeflow-$$v belongs to a package, kept"; \
		else echo "rm -rf /usr/src/exeflow-$$v"; rm -rf /usr/src/exeflow-$$v; fi; done
	@if [ -d $(DKMS_SRCDIR) ] && ! dpkg -S $(DKMS_SRCDIR) >/dev/null 2>&1; then echo "rm -rf $(DKMS_SRCDIR)"; rm -rf $(DKMS_SRCDIR); fi

# Debian packages, built by dpkg-buildpackage in a clean copy of the tree
# so the .debs (and nothing else) land in build/deb/.
DEB_DIR := build/deb
deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "exeflow: debian/changelog is at $$v but dkms.conf at $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/exeflow-$(VERSION)
	tar -cf - --exclude=./.git --exclude=./build $(SRC_EXCLUDE) --exclude='*.a' \
		--exclude=./userspace/exeflowd --exclude=./userspace/exeflowctl . | \
		tar -xf - -C $(DEB_DIR)/exeflow-$(VERSION)
	cd $(DEB_DIR)/exeflow-$(VERSION) && dpkg-buildpackage -b -us -uc
	rm -rf $(DEB_DIR)/exeflow-$(VERSION)
	@ls -1 $(DEB_DIR)/*.deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
	rm -f kmod/compat-generated.h
	rm -f userspace/*.o userspace/libexeflow.a $(US_PROGS)
	$(MAKE) -C tests/unit clean
	rm -rf build
