/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_ICMP_BUILD_H
#define CAV_ICMP_BUILD_H

/*
 * The pure parts of the ICMP nodes: when an error may be sent, the error
 * message itself, the echo reply. No graph, no worker, no clock.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

/* RFC 1812 §4.3.2.3: an error holds as much of the offending datagram as
 * fits in a 576-byte IPv4 datagram. */
#define ICMP_ERROR_MAX_LEN 576
#define ICMP_HDR_LEN 8
#define ICMP_TTL 64 /* Linux's default ip_default_ttl */

enum icmp_error_verdict {
	ICMP_ERROR_SEND,
	ICMP_ERROR_NOT_FIRST_FRAGMENT, /* only the first says what it was */
	ICMP_ERROR_TO_BROADCAST,       /* it went to a broadcast or multicast */
	ICMP_ERROR_FROM_NON_HOST,      /* its source is not one host */
	ICMP_ERROR_ABOUT_ICMP_ERROR,   /* it is an ICMP error (or unreadable) */
};

/*
 * May an ICMP error be sent about `orig` (data at its valid IPv4 header)?
 * RFC 1812 §4.3.2.7 / RFC 1122 §3.2.2: never about an ICMP error, a
 * datagram to a broadcast or multicast address, one whose source is not a
 * unicast host, or a fragment other than the first. The caller, which has
 * the route table, says whether destination and source are broadcasts
 * (route_is_broadcast: directed broadcasts of our subnets included).
 * Link-layer broadcasts are not seen: eth_input stripped the header.
 */
enum icmp_error_verdict icmp_error_check(const struct rte_mbuf *orig, bool dst_bcast,
					 bool src_bcast);

/*
 * A new packet from `mp` (data at its IPv4 header, headroom left for the
 * link layer): the ICMP error `type`/`code` about `orig` (data at its IPv4
 * header), from `src` (host order) to orig's source, TTL 64, IP id `ip_id`,
 * carrying orig's header and as much of its payload as fits in 576 bytes.
 * For destination unreachable / fragmentation needed, `mtu` goes in the
 * low 16 bits of the unused word (RFC 1191 §4). Both checksums set. The
 * private area (pkt_meta) is the caller's to fill. NULL: pool empty.
 */
struct rte_mbuf *icmp_error_build(struct rte_mempool *mp, const struct rte_mbuf *orig,
				  uint8_t type, uint8_t code, uint16_t mtu, uint32_t src,
				  uint16_t ip_id);

/* Is the checksum of the ICMP message at m's data (to its end, any number
 * of segments) right? */
bool icmp_cksum_ok(const struct rte_mbuf *m);

/*
 * Turn the echo request at m's data (the ICMP header, in any segment; the
 * IPv4 header of m->l3_len bytes just before) into its echo reply, in place
 * (RFC 792; RFC 1122 §3.2.2.6): type 0, addresses swapped, TTL 64, DF
 * clear (the reply may need fragmenting on the way out), TOS and data kept,
 * both checksums recomputed over every segment. IP options are not echoed.
 * The data then starts at the new 20-byte IPv4 header. Returns 0, or -1
 * (nothing changed) when the message is shorter than an ICMP header or the
 * IPv4 header is not just before it.
 */
int icmp_echo_reply(struct rte_mbuf *m);

#endif
