/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MD5 + SHA-256 of a file in one read pass (OpenSSL libcrypto, EVP).
 * Used by the hash cache worker, and by the benchmark directly.
 */
#ifndef EXEFLOW_EXEHASH_H
#define EXEFLOW_EXEHASH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define EXEHASH_MD5_LEN 16
#define EXEHASH_SHA256_LEN 32
#define EXEHASH_BUF_SIZE (256u * 1024u)

struct exehash {
	uint8_t md5[EXEHASH_MD5_LEN];
	uint8_t sha256[EXEHASH_SHA256_LEN];
	uint64_t bytes;		/* bytes hashed */
	uint64_t elapsed_ns;	/* CLOCK_MONOTONIC, read + hash */
};

/*
 * Fetches the two digests from OpenSSL, once (thread-safe, and
 * exehash_fd() calls it too). OpenSSL 3 loads its configuration and
 * provider on first use, millions of instructions: a daemon calls this at
 * startup, not on its first executable. Returns 0, or -ENOTSUP when a
 * digest is unavailable (e.g. MD5 in FIPS mode).
 */
int exehash_init(void);

/*
 * Hashes fd from offset 0 to EOF with pread (the fd's offset is not used
 * or moved). Returns 0, or a negative errno:
 *   -EFBIG      more than max_bytes bytes (stops reading at max_bytes + 1)
 *   -ECANCELED  *cancel became true between chunks (cancel may be NULL)
 *   -ENOTSUP    a digest is unavailable (e.g. MD5 in FIPS mode)
 *   -ENOMEM, or the read error.
 */
int exehash_fd(int fd, uint64_t max_bytes, const atomic_bool *cancel,
	       struct exehash *out);

/* Opens path (O_RDONLY|O_CLOEXEC) and hashes it, no size limit. For tools
 * and benchmarks: out->bytes / out->elapsed_ns gives the throughput. */
int exehash_path(const char *path, struct exehash *out);

/* Lower-case hex of n bytes into out, which holds 2 * n + 1 chars. */
void exehash_hex(const uint8_t *bytes, size_t n, char *out);

#endif
