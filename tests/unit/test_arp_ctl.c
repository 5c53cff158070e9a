/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP on the control plane with a fake clock: replies to requests for our
 * addresses, learning rules (Linux arp_accept=0), resolution with a hold
 * queue, retries and failure (ICMP host unreachable for forwarded packets),
 * static entries. Frames "sent" are captured instead of going to a worker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_mbuf.h>

#include "arp.h"
#include "dp.h"
#include "eal_fixture.h"
#include "parse.h"
#include "route.h"

#define S UINT64_C(1000000000)
#define MAX_SENT 64

static struct rte_mempool *pool;
static struct dp_shared *sh;
static struct arp_ctl c;
static struct rte_mbuf *sent[MAX_SENT];
static unsigned int n_sent;

static const struct rte_ether_addr our_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;
	assert_int_equal(parse_ip4(s, &a), 0);
	return a;
}

static int
capture(void *ctx, struct rte_mbuf *m)
{
	(void)ctx;
	assert_true(n_sent < MAX_SENT);
	sent[n_sent++] = m;
	return 0;
}

static void
free_sent(void)
{
	for (unsigned int i = 0; i < n_sent; i++)
		rte_pktmbuf_free(sent[i]);
	n_sent = 0;
}

static int
setup(void **state)
{
	(void)state;
	char err[128];
	sh = rte_zmalloc(NULL, sizeof(*sh), 0);
	sh->n_ports = 1;
	sh->ports[0].mac = our_mac;
	sh->pool = pool;
	sh->routes = route_table_create(1, NULL, SOCKET_ID_ANY, err, sizeof(err));
	sh->neigh = neigh_table_create(NULL, SOCKET_ID_ANY, err, sizeof(err));
	assert_non_null(sh->routes);
	assert_non_null(sh->neigh);
	assert_int_equal(route_addr_add(sh->routes, 0, ip("198.18.0.1"), 24), 0);
	memset(&c, 0, sizeof(c));
	c.sh = sh;
	c.t = sh->neigh;
	c.xmit = capture;
	n_sent = 0;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free_sent();
	neigh_table_free(sh->neigh);
	route_table_free(sh->routes);
	rte_free(sh);
	/* Every mbuf a test made is back: held, sent or dropped, none lost. */
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

/* An ARP packet as arp_input punts it: data at the ARP header. */
static struct rte_mbuf *
arp_pkt(uint16_t op, const struct rte_ether_addr *sha, const char *sip, const char *tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	struct rte_arp_hdr hdr = {0}, *a = &hdr;
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *sha;
	a->arp_data.arp_sip = rte_cpu_to_be_32(ip(sip));
	a->arp_data.arp_tip = rte_cpu_to_be_32(ip(tip));
	/* rte_memcpy: gcc 12 sees rte_pktmbuf_append's pointer as a
	 * zero-sized object and rejects a plain memcpy (-Warray-bounds). */
	char *data = rte_pktmbuf_append(m, sizeof(hdr));
	assert_non_null(data);
	rte_memcpy(data, &hdr, sizeof(hdr));
	*pkt_meta(m) = (struct pkt_meta){0};
	pkt_meta(m)->flags = PKT_META_F_ARP;
	assert_true(arp_valid(m));
	return m;
}

/* An IPv4 packet waiting for `nexthop` on port 0. */
static struct rte_mbuf *
ip_pkt(const char *nexthop, bool local)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	rte_pktmbuf_append(m, 64);
	*pkt_meta(m) = (struct pkt_meta){0};
	pkt_meta(m)->nexthop = ip(nexthop);
	pkt_meta(m)->flags = local ? PKT_META_F_LOCAL_OUT : 0;
	return m;
}

static const struct rte_arp_hdr *
sent_arp(unsigned int i)
{
	assert_true(i < n_sent);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(sent[i], const struct rte_ether_hdr *);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	assert_true(rte_is_same_ether_addr(&eh->src_addr, &our_mac));
	return (const struct rte_arp_hdr *)(eh + 1);
}

static void
test_request_for_us_is_answered_and_teaches_the_sender(void **state)
{
	(void)state;
	arp_ctl_input(&c, arp_pkt(RTE_ARP_OP_REQUEST, &peer_mac, "198.18.0.2", "198.18.0.1"), 0);
	assert_int_equal(n_sent, 1);
	const struct rte_arp_hdr *a = sent_arp(0);
	assert_int_equal(a->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
	assert_int_equal(a->arp_data.arp_sip, rte_cpu_to_be_32(ip("198.18.0.1")));
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_tha, &peer_mac));
	assert_int_equal(a->arp_data.arp_tip, rte_cpu_to_be_32(ip("198.18.0.2")));
	assert_int_equal(pkt_meta(sent[0])->flags & PKT_META_F_L2_READY, PKT_META_F_L2_READY);
	struct rte_ether_addr mac;
	assert_true(neigh_lookup(sh->neigh, 0, ip("198.18.0.2"), &mac));
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
	assert_int_equal(neigh_find(sh->neigh, 0, ip("198.18.0.2"))->sm.state, NEIGH_STALE);
	assert_int_equal(c.st.tx_replies, 1);
}

static void
test_request_for_another_host_is_ignored(void **state)
{
	(void)state;
	arp_ctl_input(&c, arp_pkt(RTE_ARP_OP_REQUEST, &peer_mac, "198.18.0.2", "198.18.0.9"), 0);
	assert_int_equal(n_sent, 0);
	assert_null(neigh_find(sh->neigh, 0, ip("198.18.0.2")));
	assert_int_equal(c.st.rx_not_for_us, 1);
}

static void
test_unsolicited_reply_creates_no_entry(void **state)
{
	(void)state;
	arp_ctl_input(&c, arp_pkt(RTE_ARP_OP_REPLY, &peer_mac, "198.18.0.2", "198.18.0.1"), 0);
	assert_null(neigh_find(sh->neigh, 0, ip("198.18.0.2")));
	assert_int_equal(c.st.rx_unsolicited, 1);
}

static void
test_resolution_holds_then_flushes_on_reply(void **state)
{
	(void)state;
	arp_ctl_resolve(&c, ip_pkt("198.18.0.2", true), 0);
	arp_ctl_resolve(&c, ip_pkt("198.18.0.2", true), 1);
	/* one broadcast request for two held packets */
	assert_int_equal(n_sent, 1);
	const struct rte_arp_hdr *a = sent_arp(0);
	assert_int_equal(a->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(a->arp_data.arp_tip, rte_cpu_to_be_32(ip("198.18.0.2")));
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(sent[0], const struct rte_ether_hdr *);
	assert_true(rte_is_broadcast_ether_addr(&eh->dst_addr));
	struct rte_ether_addr mac;
	assert_false(neigh_lookup(sh->neigh, 0, ip("198.18.0.2"), &mac));
	free_sent();

	arp_ctl_input(&c, arp_pkt(RTE_ARP_OP_REPLY, &peer_mac, "198.18.0.2", "198.18.0.1"), S / 2);
	assert_int_equal(n_sent, 2); /* both held packets released */
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(pkt_meta(sent[i])->flags & PKT_META_F_HELD, PKT_META_F_HELD);
	assert_true(neigh_lookup(sh->neigh, 0, ip("198.18.0.2"), &mac));
	assert_int_equal(neigh_find(sh->neigh, 0, ip("198.18.0.2"))->sm.state, NEIGH_REACHABLE);
}

static void
test_failed_resolution_drops_local_and_unreaches_forwarded(void **state)
{
	(void)state;
	arp_ctl_resolve(&c, ip_pkt("198.18.0.3", true), 0);
	arp_ctl_resolve(&c, ip_pkt("198.18.0.3", false), 0);
	arp_ctl_timer(&c, 1 * S);
	arp_ctl_timer(&c, 2 * S);
	assert_int_equal(c.st.tx_requests, 3);
	free_sent();
	arp_ctl_timer(&c, 3 * S);
	/* the forwarded packet comes back for ICMP host unreachable */
	assert_int_equal(n_sent, 1);
	struct pkt_meta *pm = pkt_meta(sent[0]);
	assert_int_equal(pm->flags & PKT_META_F_ICMP_ERR, PKT_META_F_ICMP_ERR);
	assert_int_equal(pm->icmp_type, 3);
	assert_int_equal(pm->icmp_code, 1);
	assert_int_equal(c.st.resolve_failed, 2);
	assert_int_equal(neigh_find(sh->neigh, 0, ip("198.18.0.3"))->sm.state, NEIGH_FAILED);
	/* while FAILED, new packets are dropped without a new request */
	free_sent();
	arp_ctl_resolve(&c, ip_pkt("198.18.0.3", true), 3 * S + 1);
	assert_int_equal(n_sent, 0);
	assert_int_equal(c.st.tx_requests, 3);
}

static void
test_hold_queue_is_bounded_oldest_dropped(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < NEIGH_HOLD_MAX + 4; i++)
		arp_ctl_resolve(&c, ip_pkt("198.18.0.4", true), i);
	assert_int_equal(neigh_find(sh->neigh, 0, ip("198.18.0.4"))->n_hold, NEIGH_HOLD_MAX);
	assert_int_equal(c.st.hold_overflow, 4);
	assert_int_equal(arp_ctl_del(&c, 0, ip("198.18.0.4")), 0);
	assert_int_equal(arp_ctl_del(&c, 0, ip("198.18.0.4")), ESRCH);
}

static void
test_static_entry_is_not_overwritten_and_survives_flush(void **state)
{
	(void)state;
	const struct rte_ether_addr st_mac = {{0x02, 0, 0, 0, 0, 0x77}};
	assert_int_equal(arp_ctl_add_static(&c, 0, ip("198.18.0.2"), &st_mac), 0);
	arp_ctl_input(&c, arp_pkt(RTE_ARP_OP_REPLY, &peer_mac, "198.18.0.2", "198.18.0.1"), 0);
	struct rte_ether_addr mac;
	assert_true(neigh_lookup(sh->neigh, 0, ip("198.18.0.2"), &mac));
	assert_true(rte_is_same_ether_addr(&mac, &st_mac));
	arp_ctl_input(&c, arp_pkt(RTE_ARP_OP_REQUEST, &peer_mac, "198.18.0.5", "198.18.0.1"), 0);
	assert_int_equal(arp_ctl_flush(&c, -1), 1); /* the learned .5, not the static .2 */
	assert_true(neigh_lookup(sh->neigh, 0, ip("198.18.0.2"), &mac));
	assert_int_equal(arp_ctl_add_static(&c, 3, ip("198.18.0.2"), &st_mac), EINVAL);
}

static void
test_gratuitous_announces_our_address(void **state)
{
	(void)state;
	arp_ctl_gratuitous(&c, 0, ip("198.18.0.1"));
	const struct rte_arp_hdr *a = sent_arp(0);
	assert_int_equal(a->arp_data.arp_sip, a->arp_data.arp_tip);
	assert_int_equal(a->arp_data.arp_sip, rte_cpu_to_be_32(ip("198.18.0.1")));
}

int
main(void)
{
	if (test_eal_init("arp") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_arp", 1023, 0, PKT_META_PRIV_SIZE, 2048, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_request_for_us_is_answered_and_teaches_the_sender),
		T(test_request_for_another_host_is_ignored),
		T(test_unsolicited_reply_creates_no_entry),
		T(test_resolution_holds_then_flushes_on_reply),
		T(test_failed_resolution_drops_local_and_unreaches_forwarded),
		T(test_hold_queue_is_bounded_oldest_dropped),
		T(test_static_entry_is_not_overwritten_and_survives_flush),
		T(test_gratuitous_announces_our_address),
#undef T
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return rc;
}
