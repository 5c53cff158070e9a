/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NAT_H
#define CAV_NAT_H

/*
 * NAT: the external endpoints (mappings and their ports), and rewriting
 * packets with incremental checksum updates.
 *
 * Behaviour (RFC 4787 for UDP, RFC 5382 for TCP; ICMP echo identifiers
 * are treated as ports, RFC 5508):
 *  - Mapping: endpoint-independent (RFC 4787 REQ-1, RFC 5382 REQ-1): an
 *    internal (address, port) keeps one external (address, port) for
 *    every destination, as long as a connection uses it, and for
 *    NAT_HOLD_UDP_S more for UDP (REQ-5: a UDP mapping lives at least two
 *    minutes; the 30 s of an unreplied conntrack entry alone would not).
 *    A held mapping goes early only when the table has no slot left for a
 *    new one (the table holds as many mappings as conntrack has entries).
 *  - Filtering: address- and port-dependent: only packets of a tracked
 *    connection are translated back; an unsolicited packet to a mapped
 *    port is not (it is for the gateway itself, and INPUT decides). RFC
 *    4787 REQ-8 allows it; it is the stateful firewall's behaviour and
 *    Linux's. Port forwards (DNAT) open ports on purpose.
 *  - Address pooling: paired (REQ-2): one internal address always gets the
 *    same external address of a range (chosen by hashing it).
 *  - Port assignment: preserve the internal port when it is free (REQ-3
 *    allows it), else the next free port in the range, starting at a
 *    hash of the internal endpoint; ranges keep the class of the port
 *    (below 1024 or not) unless the rule gives one. No two mappings ever
 *    share an external (protocol, address, port): one allocator per
 *    external address, behind one lock, for every worker.
 *  - Hairpinning (REQ-9, RFC 5382 REQ-8): a DNATed packet that leaves by
 *    the port it came in by gets its source translated too, to the
 *    client's mapping on the address it addressed, so the server's answer
 *    comes back through us.
 *
 * Concurrency: mappings are created and released at connection start and
 * end (never per packet), by any worker, under nat_table.lock.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "ct.h"
#include "ct_pkt.h"

struct rte_hash;

#define NAT_MAX_ADDRS 256   /* external (protocol, address) pairs with ports */
#define NAT_HOLD_UDP_S 120  /* a UDP mapping outlives its last connection so long */

/* An address/port range, as rules give them (host byte order). */
struct nat_range {
	uint32_t addr_lo, addr_hi;
	uint16_t port_lo, port_hi; /* both 0: none given */
};

/* ---- the port allocator of one external (protocol, address) ---- */

struct nat_ports {
	uint64_t bits[65536 / 64]; /* 1 = in use */
	uint32_t used;
};

/*
 * A free port in [lo, hi] (host order): `pref` if it is free and in range,
 * else the first free one from lo + seed % (hi - lo + 1) on, wrapping.
 * `taken` (may be NULL) vetoes a port that is in use elsewhere (a
 * connection of the gateway's own). Returns the port, or -1 when every
 * port of the range is used.
 */
typedef bool (*nat_taken_fn)(void *ctx, uint16_t port);
int nat_ports_alloc(struct nat_ports *b, uint16_t lo, uint16_t hi, uint16_t pref, uint32_t seed,
		    nat_taken_fn taken, void *ctx);
void nat_ports_free(struct nat_ports *b, uint16_t port);
bool nat_ports_used(const struct nat_ports *b, uint16_t port);

/* ---- mappings ---- */

struct nat_map {
	uint32_t iaddr, eaddr; /* host order */
	uint16_t iport, eport;
	uint32_t range_lo; /* part of the key: the rule's pool */
	uint8_t proto;
	uint8_t in_use;
	uint32_t refcnt;   /* connections using it */
	uint64_t expires;  /* refcnt 0: when it goes */
	uint32_t prev, next; /* hold list (refcnt 0), oldest first; free list */
};

struct nat_stats {
	uint64_t maps_created;
	uint64_t maps_reused; /* a new connection found its endpoint's mapping */
	uint64_t maps_freed;
	uint64_t exhausted;   /* no port (or slot) left: the connection was dropped */
	uint64_t held_evicted; /* a held mapping freed early: no slot left */
	uint64_t preserved;   /* the internal port was kept */
};

struct nat_addr {
	uint32_t addr;
	uint8_t proto;
	struct nat_ports *ports;
};

struct nat_table {
	rte_spinlock_t lock;
	struct rte_hash *hash; /* (proto, iaddr, iport, range_lo) -> mapping */
	struct nat_map *map;
	uint32_t n_maps, free_head, in_use;
	uint32_t hold_head, hold_tail;
	uint64_t hz;
	uint64_t hold_udp; /* ticks */
	unsigned int n_addrs;
	struct nat_addr addrs[NAT_MAX_ADDRS];
	struct nat_stats st; /* under lock */
};

/* A table for `n_maps` mappings (one per connection at most). NULL on
 * failure with a reason in err. */
struct nat_table *nat_table_create(uint32_t n_maps, uint64_t hz, int socket, char *err,
				   size_t errlen);
void nat_table_free(struct nat_table *t);

/*
 * The external endpoint of internal (proto, iaddr, iport) in range r at
 * `now` (host order): the existing mapping if there is one whose endpoint
 * is in r, else a new one (`taken` vetoes candidate ports). Returns the
 * mapping's handle (index + 1), with *eaddr and *eport, or 0 when the range
 * has no port left (st.exhausted).
 */
uint32_t nat_map_get(struct nat_table *t, uint8_t proto, uint32_t iaddr, uint16_t iport,
		     const struct nat_range *r, uint64_t now, nat_taken_fn taken, void *ctx,
		     uint32_t *eaddr, uint16_t *eport);
/* A connection using mapping `h` ended at `now`. */
void nat_map_put(struct nat_table *t, uint32_t h, uint64_t now);
/* Let the mappings whose hold time passed go (also done by every get). */
void nat_expire(struct nat_table *t, uint64_t now);

/* conntrack's release hook (ct_table.release): drops the mapping of e. */
void nat_ct_release(void *ctx, const struct ct_entry *e, uint64_t now);

/* ---- rewriting (nat_xlate.c) ---- */

enum nat_manip {
	NAT_MANIP_SRC, /* POSTROUTING, INPUT */
	NAT_MANIP_DST, /* PREROUTING, OUTPUT */
};

/*
 * Rewrite the source (or destination) address and port of the datagram at
 * m's data (parsed into p) to addr/port (network order), IPv4, TCP, UDP
 * and ICMP checksums updated incrementally (RFC 1624). ICMP queries: the
 * port is the identifier. Returns 0, or -1 when the headers to write are
 * not in the first segment (left untouched).
 */
int nat_rewrite(struct rte_mbuf *m, const struct nf_pkt *p, enum nat_manip manip,
		rte_be32_t addr, rte_be16_t port);

/*
 * An ICMP error about a translated connection: the outer header's source
 * (or destination) address becomes outer_addr, and the quoted datagram,
 * which travelled the other way, gets the opposite change (its destination,
 * or source, address and port become inner_addr/inner_port), with the
 * quoted IPv4 and transport checksums and the ICMP checksum updated.
 */
int nat_rewrite_icmp_error(struct rte_mbuf *m, const struct nf_pkt *p, enum nat_manip manip,
			   rte_be32_t outer_addr, rte_be32_t inner_addr, rte_be16_t inner_port);

/* nat_apply()'s rewrite, once it knows there is one to do. */
int nat_apply_translate(struct rte_mbuf *m, const struct nf_pkt *p, const struct ct_entry *e,
			int dir, enum nat_manip manip, bool related);

/*
 * The NAT that conntrack entry e calls for at a hook of type `manip`, for a
 * packet in direction `dir` (Linux's nf_nat_packet): ORIG packets get
 * their source translated if the connection is SNATed and their
 * destination if DNATed, REPLY packets the reverse, so that each packet
 * leaves looking like the other direction's tuple inverted. Returns 1 (it
 * rewrote), 0 (nothing to do) or -1 (headers not writable). Inline: most
 * calls have nothing to do (an SNATed connection at PREROUTING).
 */
static inline int
nat_apply(struct rte_mbuf *m, const struct nf_pkt *p, const struct ct_entry *e, int dir,
	  enum nat_manip manip, bool related)
{
	uint16_t bit = manip == NAT_MANIP_SRC ? CT_S_SNAT : CT_S_DNAT;
	if (dir == CT_DIR_REPLY)
		bit = bit == CT_S_SNAT ? CT_S_DNAT : CT_S_SNAT;
	if (!(e->status & bit))
		return 0;
	return nat_apply_translate(m, p, e, dir, manip, related);
}

/* TCP MSS clamping (RFC 879, RFC 6691): a SYN's MSS option above `mss`
 * is lowered to it (checksum updated). True if it changed. */
bool nat_clamp_mss(struct rte_mbuf *m, const struct nf_pkt *p, uint16_t mss);

#endif
