/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF",
 * 2012) and the RFC 6528 initial sequence number built on it.
 */
#include <string.h>

#include "tcp.h"

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* One SipRound (the paper's figure 2.1) on the state v[0..3]. */
static inline void
sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

uint64_t
tcp_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = {
	    k0 ^ 0x736f6d6570736575ULL, /* "somepseudorandomlygeneratedbytes" */
	    k1 ^ 0x646f72616e646f6dULL,
	    k0 ^ 0x6c7967656e657261ULL,
	    k1 ^ 0x7465646279746573ULL,
	};
	size_t full = len & ~(size_t)7;

	/* Compression: two SipRounds per 8-byte little-endian word. */
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = le64(p + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	/* Last block: the remaining bytes, the length's low byte on top. */
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	/* Finalization: four SipRounds. */
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 µs (the rate RFC 793 chose), F a
 * keyed PRF so that an off-path attacker cannot predict another tuple's
 * ISN. The tuple is hashed in a fixed byte layout (not the struct, whose
 * padding is unspecified).
 */
uint32_t
tcp_isn(const uint8_t secret[16], const struct tcp_tuple *t, uint64_t now)
{
	uint8_t b[12];
	memcpy(b, &t->laddr, 4);
	memcpy(b + 4, &t->raddr, 4);
	memcpy(b + 8, &t->lport, 2);
	memcpy(b + 10, &t->rport, 2);
	return (uint32_t)tcp_siphash24(secret, b, sizeof(b)) + (uint32_t)(now / 4);
}
