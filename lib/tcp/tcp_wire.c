/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP header on the wire (RFC 9293 §3.1) and its options: MSS (kind 2,
 * RFC 9293 §3.2), window scale (3, RFC 7323 §2), SACK-permitted (4) and
 * SACK (5) (RFC 2018), timestamps (8, RFC 7323 §3). The only place the
 * core reads or writes header bytes.
 */
#include <string.h>

#include "tcp_priv.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/*
 * Options: every length is checked against the header before the option
 * is read, so a malformed list is rejected rather than half-used (Linux
 * stops parsing instead; rejecting is stricter and simpler to count).
 * Options of a wrong fixed length are ignored, as Linux does.
 */
static enum tcp_drop
parse_options(const uint8_t *o, uint32_t n, struct tcp_seg *seg)
{
	uint32_t i = 0;
	while (i < n) {
		uint8_t kind = o[i];
		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= n)
			return TCP_DROP_OPT_BAD;
		uint8_t len = o[i + 1];
		if (len < 2 || i + len > n)
			return TCP_DROP_OPT_BAD;
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case 2:
			if (len == 4) {
				seg->opts |= TCP_OPT_F_MSS;
				seg->mss = rd16(v);
			}
			break;
		case 3:
			if (len == 3) {
				seg->opts |= TCP_OPT_F_WSCALE;
				seg->wscale = v[0];
			}
			break;
		case 4:
			if (len == 2)
				seg->opts |= TCP_OPT_F_SACK_OK;
			break;
		case 5:
			if (len >= 10 && (len - 2) % 8 == 0) {
				seg->opts |= TCP_OPT_F_SACK;
				seg->sack_n = 0;
				for (uint32_t b = 0; b < (len - 2u) / 8 && b < TCP_MAX_SACK; b++) {
					seg->sack[b].left = rd32(v + 8 * b);
					seg->sack[b].right = rd32(v + 8 * b + 4);
					seg->sack_n++;
				}
			}
			break;
		case 8:
			if (len == 10) {
				seg->opts |= TCP_OPT_F_TS;
				seg->tsval = rd32(v);
				seg->tsecr = rd32(v + 4);
			}
			break;
		default:
			break; /* unknown: skipped by its length (RFC 9293 §3.1) */
		}
		i += len;
	}
	return TCP_DROP_NONE;
}

enum tcp_drop
tcp_parse(const void *hdr, uint32_t len, struct tcp_seg *seg)
{
	const uint8_t *h = hdr;

	memset(seg, 0, sizeof(*seg));
	if (len < TCP_HDR_MIN)
		return TCP_DROP_HDR_SHORT;
	uint32_t doff = (uint32_t)(h[12] >> 4) * 4;
	if (doff < TCP_HDR_MIN)
		return TCP_DROP_HDR_DOFF;
	if (doff > len)
		return TCP_DROP_HDR_SHORT;
	seg->sport = rd16(h);
	seg->dport = rd16(h + 2);
	seg->seq = rd32(h + 4);
	seg->ack = rd32(h + 8);
	seg->flags = h[13];
	seg->wnd = rd16(h + 14);
	seg->urp = rd16(h + 18);
	seg->hdr_len = (uint8_t)doff;
	seg->len = len - doff;
	seg->payload_off = doff;
	return parse_options(h + TCP_HDR_MIN, doff - TCP_HDR_MIN, seg);
}

/* Options are laid out as Linux does (tcp_options_write): MSS first,
 * NOP-padded to 32-bit words. */
uint32_t
tcp_hdr_len(const struct tcp_out *out)
{
	uint32_t n = 0;
	if (out->opts & TCP_OPT_F_MSS)
		n += 4;
	if (out->opts & TCP_OPT_F_TS)
		n += 12; /* NOP NOP TS, or SACK_OK TS */
	else if (out->opts & TCP_OPT_F_SACK_OK)
		n += 4; /* NOP NOP SACK_OK */
	if (out->opts & TCP_OPT_F_WSCALE)
		n += 4; /* NOP WS */
	if ((out->opts & TCP_OPT_F_SACK) && out->sack_n > 0)
		n += 4 + 8 * TCP_MIN(out->sack_n, (TCP_HDR_MAX - TCP_HDR_MIN - n - 4) / 8);
	return TCP_HDR_MIN + n;
}

uint32_t
tcp_write_hdr(void *buf, const struct tcp_out *out)
{
	uint8_t *h = buf;
	uint32_t hl = tcp_hdr_len(out);
	uint8_t *o = h + TCP_HDR_MIN;

	wr16(h, out->tuple.lport);
	wr16(h + 2, out->tuple.rport);
	wr32(h + 4, out->seq);
	wr32(h + 8, out->ack);
	h[12] = (uint8_t)((hl / 4) << 4);
	h[13] = out->flags;
	wr16(h + 14, out->wnd);
	wr16(h + 16, 0); /* checksum: the glue's */
	wr16(h + 18, 0); /* urgent pointer: never sent */
	if (out->opts & TCP_OPT_F_MSS) {
		o[0] = 2;
		o[1] = 4;
		wr16(o + 2, out->mss);
		o += 4;
	}
	if (out->opts & TCP_OPT_F_TS) {
		if (out->opts & TCP_OPT_F_SACK_OK) {
			o[0] = 4;
			o[1] = 2;
		} else {
			o[0] = 1;
			o[1] = 1;
		}
		o[2] = 8;
		o[3] = 10;
		wr32(o + 4, out->tsval);
		wr32(o + 8, out->tsecr);
		o += 12;
	} else if (out->opts & TCP_OPT_F_SACK_OK) {
		o[0] = 1;
		o[1] = 1;
		o[2] = 4;
		o[3] = 2;
		o += 4;
	}
	if (out->opts & TCP_OPT_F_WSCALE) {
		o[0] = 1;
		o[1] = 3;
		o[2] = 3;
		o[3] = out->wscale;
		o += 4;
	}
	if ((out->opts & TCP_OPT_F_SACK) && out->sack_n > 0) {
		uint32_t nb = (hl - (uint32_t)(o - h) - 4) / 8;
		o[0] = 1;
		o[1] = 1;
		o[2] = 5;
		o[3] = (uint8_t)(2 + 8 * nb);
		o += 4;
		for (uint32_t b = 0; b < nb; b++) {
			wr32(o, out->sack[b].left);
			wr32(o + 4, out->sack[b].right);
			o += 8;
		}
	}
	return hl;
}
