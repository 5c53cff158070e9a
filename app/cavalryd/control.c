/* SPDX-License-Identifier: BSD-3-Clause */
/* The control plane's share of the data path, on the main lcore: packets the
 * workers punted (ARP, packets waiting for a neighbour) and the ARP timers. */
#include <time.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "daemon.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Frames and released packets from the control plane go out through
 * worker 0, whose inject ring has this thread as its single producer. */
int
control_xmit(void *ctx, struct rte_mbuf *m)
{
	struct daemon *d = ctx;
	if (rte_ring_sp_enqueue(d->sh->workers[0]->inject_ring, m) != 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}

void
control_drain(struct daemon *d)
{
	uint64_t v;
	/* Reset the eventfd first: a punt after this read wakes us again. */
	if (read(d->sh->control_efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing signalled; drain anyway */
	}
	uint64_t now = now_ns();
	struct rte_mbuf *pkts[64];
	unsigned int n;
	while ((n = rte_ring_sc_dequeue_burst(d->sh->control_ring, (void **)pkts, 64, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			if (pkt_meta(pkts[i])->flags & PKT_META_F_ARP)
				arp_ctl_input(&d->arp, pkts[i], now);
			else
				arp_ctl_resolve(&d->arp, pkts[i], now);
		}
	}
}

void
control_timer(struct daemon *d)
{
	arp_ctl_timer(&d->arp, now_ns());
}
