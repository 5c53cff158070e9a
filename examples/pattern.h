/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_EXAMPLES_PATTERN_H
#define CAV_EXAMPLES_PATTERN_H

/*
 * The byte stream the TCP examples send and check. Byte i of stream SEED is
 * byte (i % 8) (little endian) of splitmix64 applied to word i / 8: random
 * access, so a sender resumes at any offset after a partial write, and
 * `tcp_tool gen BYTES` / http_server's /bytes/N write the very same bytes
 * for sha256sum to compare. Not zeros: a lost, duplicated or reordered
 * segment changes the checksum.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t
pattern_word(uint64_t seed, uint64_t k)
{
	uint64_t z = seed * 0xd1342543de82ef95ull + (k + 1) * 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Fill buf with bytes [off, off + len) of stream seed. */
static inline void
pattern_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	while (len > 0 && (off & 7)) {
		*buf++ = (uint8_t)(pattern_word(seed, off >> 3) >> (8 * (off & 7)));
		off++;
		len--;
	}
	for (; len >= 8; len -= 8, off += 8, buf += 8) {
		uint64_t w = pattern_word(seed, off >> 3);
		uint8_t b[8];
		for (int j = 0; j < 8; j++)
			b[j] = (uint8_t)(w >> (8 * j)); /* little endian on any host */
		memcpy(buf, b, 8);
	}
	for (size_t j = 0; j < len; j++)
		buf[j] = (uint8_t)(pattern_word(seed, off >> 3) >> (8 * j));
}

#endif
