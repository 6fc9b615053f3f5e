// SPDX-License-Identifier: GPL-2.0
#include "exehash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Fetched explicitly, once: EVP_md5() and EVP_sha256() would be fetched
 * again by every EVP_DigestInit_ex2(). Kept for the process's lifetime.
 */
static EVP_MD *md5_md, *sha256_md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
	md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	/* a failed fetch leaves its reason on this thread's error queue */
	if (!md5_md || !sha256_md)
		ERR_clear_error();
}

int exehash_init(void)
{
	pthread_once(&md_once, md_fetch);
	return md5_md && sha256_md ? 0 : -ENOTSUP;
}

int exehash_fd(int fd, uint64_t max_bytes, const atomic_bool *cancel,
	       struct exehash *out)
{
	uint64_t start = now_ns(), off = 0;
	EVP_MD_CTX *md5 = EVP_MD_CTX_new(), *sha = EVP_MD_CTX_new();
	unsigned char *buf = malloc(EXEHASH_BUF_SIZE);
	int ret = 0;

	if (!md5 || !sha || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (exehash_init() || !EVP_DigestInit_ex2(md5, md5_md, NULL) ||
	    !EVP_DigestInit_ex2(sha, sha256_md, NULL)) {
		ret = -ENOTSUP;
		goto out;
	}
	/* Only a hint: doubles the kernel's readahead window. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	for (;;) {
		size_t want = EXEHASH_BUF_SIZE;
		ssize_t n;

		if (cancel && atomic_load_explicit(cancel, memory_order_relaxed)) {
			ret = -ECANCELED;
			goto out;
		}
		/* Never read more than one byte past the cap: enough to know
		 * the file is too big without reading all of it. */
		if (max_bytes - off < want)
			want = (size_t)(max_bytes - off) + 1;
		n = pread(fd, buf, want, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		off += (uint64_t)n;
		if (off > max_bytes) {
			ret = -EFBIG;
			goto out;
		}
		/* Both digests over the same chunk while it is still in cache. */
		if (!EVP_DigestUpdate(md5, buf, (size_t)n) ||
		    !EVP_DigestUpdate(sha, buf, (size_t)n)) {
			ret = -ENOTSUP;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(md5, out->md5, NULL) ||
	    !EVP_DigestFinal_ex(sha, out->sha256, NULL)) {
		ret = -ENOTSUP;
		goto out;
	}
	out->bytes = off;
	out->elapsed_ns = now_ns() - start;
out:
	free(buf);
	EVP_MD_CTX_free(md5);
	EVP_MD_CTX_free(sha);
	return ret;
}

int exehash_path(const char *path, struct exehash *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = exehash_fd(fd, UINT64_MAX, NULL, out);
	close(fd);
	return ret;
}

void exehash_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}
