/* SPDX-License-Identifier: BSD-3-Clause */
#include "ip4_frag.h"

#include <rte_ip_frag.h>

#include "dp.h"
#include "ip4_check.h"

int
ip4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
	     struct rte_mempool *indirect, struct rte_mbuf **out, uint16_t n_out)
{
	int32_t n = rte_ipv4_fragment_packet(m, out, n_out, mtu, direct, indirect);
	if (n < 0)
		return n;
	for (int32_t i = 0; i < n; i++) {
		/* New mbufs: their private area is whatever the last user
		 * left there. */
		*pkt_meta(out[i]) = *pkt_meta(m);
		/* The header is the direct mbuf's only data. */
		ip4_set_cksum(rte_pktmbuf_mtod(out[i], struct rte_ipv4_hdr *));
	}
	return n;
}
