# shellcheck shell=sh disable=SC2034
# Sourced by tests/matrix/*.sh: the kernel lines, the cache and a private
# apt state. Nothing here touches the host's apt sources or installs a
# kernel: packages are downloaded and unpacked into the cache only.

# Cache outside the checkout, shared by every checkout and CI run on this
# machine: keyed by suite and kernel version.
MATRIX_CACHE=${EXEFLOW_MATRIX_CACHE:-/var/cache/exeflow/matrix}

# The kernel lines, oldest first. Each is named by the Debian suite that
# carries its kernel.
MATRIX_LINES="bullseye-security bookworm bookworm-security trixie-backports"

# line_info LINE: sets how the line is obtained.
#   how     host   (headers and image installed by `make deps`)
#           chroot (headers + compiler in a chroot of $release, image unpacked)
#   release the Debian release of the chroot
#   suites  the apt suites of the chroot (archive:suite, archive = main|security)
#   pattern the headers packages of the line (grep -E on package names in
#           the line's own suite); the newest one is taken
line_info() {
	case $1 in
	bullseye-security)
		how=chroot release=bullseye
		suites="main:bullseye security:bullseye-security"
		pattern='^linux-headers-5\.10\.0-[0-9]+-cloud-amd64$' ;;
	bookworm)
		how=host release=bookworm suites='' pattern='6\.1\.0-[0-9]+-cloud-amd64' ;;
	bookworm-security)
		how=host release=bookworm suites='' pattern='6\.12\.[0-9]+\+deb12-cloud-amd64' ;;
	trixie-backports)
		how=chroot release=trixie
		suites="main:trixie main:trixie-backports"
		pattern='^linux-headers-[0-9]+\.[0-9.]+\+deb13-cloud-amd64$' ;;
	*) echo "matrix: unknown kernel line '$1' (known: $MATRIX_LINES)" >&2; return 1 ;;
	esac
}

# The archive URIs this machine's apt already uses (deb822 .sources and
# one-line sources.list), so a local mirror or proxy is honoured. The
# host's files are only read.
matrix_mirrors() {
	uris=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p')
	MIRROR=${MATRIX_MIRROR:-$(echo "$uris" | grep -E '/debian/?$' | head -n 1)}
	MIRROR=${MIRROR:-http://deb.debian.org/debian}
	MIRROR=${MIRROR%/}
	SECURITY=${MATRIX_SECURITY_MIRROR:-$(echo "$uris" | grep -E '/debian-security/?$' | head -n 1)}
	SECURITY=${SECURITY:-$MIRROR-security}
	SECURITY=${SECURITY%/}
}

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# sources_list SUITE...: one-line sources for archive:suite words.
sources_list() {
	for s in "$@"; do
		case ${s%%:*} in
		security) uri=$SECURITY ;;
		*) uri=$MIRROR ;;
		esac
		echo "deb [signed-by=$KEYRING] $uri ${s#*:} main"
	done
}

# papt DIR apt-get|apt-cache ARGS...: apt with a private state in DIR
# (sources, lists, archives); the host's sources and status are not used.
# Archived suites (bullseye) have expired Valid-Until dates.
papt() {
	d=$1 tool=$2
	shift 2
	mkdir -p "$d/empty"
	"$tool" -q -o Dir::Etc::SourceList="$d/sources.list" \
		-o Dir::Etc::SourceParts="$d/empty" -o Dir::State::Lists="$d/lists" \
		-o Dir::Cache="$d/cache" -o Dir::State::status=/dev/null \
		-o Dir::Etc::Preferences="$d/empty/none" -o Dir::Etc::PreferencesParts="$d/empty" \
		-o Acquire::Check-Valid-Until=false -o APT::Architecture=amd64 \
		-o APT::Architectures=amd64 -o Acquire::Languages=none "$@"
}

# now: seconds since the epoch (timings in the summary).
now() { date +%s; }
