/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libFuzzer targets: a byte consumer that turns the
 * fuzzer's input into integers and strings (in the spirit of LLVM's
 * FuzzedDataProvider, which is C++ only), and a check macro that aborts so
 * that libFuzzer records the input as a crash.
 */
#ifndef EXEFLOW_FUZZ_H
#define EXEFLOW_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* Integers come from the front, string lengths too; once the input is
 * used up everything reads as zero / empty. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fz_bytes(struct fz *f, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		v <<= 8;
		if (f->n) {
			v |= *f->p++;
			f->n--;
		}
	}
	return v;
}

static inline uint8_t fz_u8(struct fz *f) { return (uint8_t)fz_bytes(f, 1); }
static inline uint16_t fz_u16(struct fz *f) { return (uint16_t)fz_bytes(f, 2); }
static inline uint32_t fz_u32(struct fz *f) { return (uint32_t)fz_bytes(f, 4); }
static inline uint64_t fz_u64(struct fz *f) { return fz_bytes(f, 8); }

static inline int fz_bool(struct fz *f) { return fz_u8(f) & 1; }

/*
 * A string of at most @max bytes (and no NUL: NUL ends it early) copied
 * into @dst, which must hold max + 1. The length is one byte (or two when
 * max > 255), read first.
 */
static inline size_t fz_str(struct fz *f, char *dst, size_t max)
{
	size_t len = max > 255 ? fz_u16(f) : fz_u8(f), i;

	if (len > max)
		len %= max + 1;
	if (len > f->n)
		len = f->n;
	for (i = 0; i < len && f->p[i]; i++)
		dst[i] = (char)f->p[i];
	dst[i] = 0;
	f->p += len;
	f->n -= len;
	return i;
}

/* A heap copy of exactly @n bytes, so ASan sees any access past the end. */
static inline void *fz_dup(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (!d)
		abort();
	if (n)
		memcpy(d, p, n);
	return d;
}

#endif
