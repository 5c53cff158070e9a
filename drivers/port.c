/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "log.h"

/* RX/TX offloads the data path knows how to use. */
#define RX_WANTED                                                                                  \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |                            \
	 RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
#define TX_WANTED                                                                                  \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |                            \
	 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
#define RSS_WANTED (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

/* A symmetric Toeplitz key (0x6d5a repeated): both directions of a flow hash
 * to the same queue, so one worker owns both halves of a connection. */
static uint8_t symmetric_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

int
port_devargs(const char *device, unsigned int n_queues, char *out, size_t outlen)
{
	int n;
	if (strncmp(device, "net_af_packet", 13) == 0 && strstr(device, "qpairs=") == NULL)
		n = snprintf(out, outlen, "%s,qpairs=%u", device, n_queues);
	else
		n = snprintf(out, outlen, "%s", device);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void
port_offloads_str(uint64_t flags, bool rx, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int b = 0; b < 64; b++) {
		uint64_t bit = UINT64_C(1) << b;
		if ((flags & bit) == 0)
			continue;
		const char *name =
			rx ? rte_eth_dev_rx_offload_name(bit) : rte_eth_dev_tx_offload_name(bit);
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "none");
}

/* The device name is the devargs up to the first comma. */
static void
dev_name(const char *devargs, char *out, size_t outlen)
{
	size_t n = strcspn(devargs, ",");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, devargs, n);
	out[n] = '\0';
}

int
port_netns_enter(const struct cav_port_conf *conf, char *err, size_t errlen)
{
	if (conf->netns[0] == '\0')
		return -2;
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", conf->netns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "port %s: network namespace '%s': %s", conf->name,
			 conf->netns, strerror(errno));
		return -1;
	}
	int oldns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (oldns < 0 || setns(fd, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "port %s: cannot enter namespace '%s': %s", conf->name,
			 conf->netns, strerror(errno));
		close(fd);
		if (oldns >= 0)
			close(oldns);
		return -1;
	}
	close(fd);
	return oldns;
}

void
port_netns_leave(int oldns)
{
	if (oldns < 0)
		return;
	if (setns(oldns, CLONE_NEWNET) < 0)
		rte_panic("cannot return to the original network namespace\n");
	close(oldns);
}

int
port_probe(struct port *p, const struct cav_port_conf *conf, unsigned int n_queues, char *err,
	   size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->n_queues = (uint16_t)n_queues;

	if (conf->is_pci) {
		/* Allow-listed on the EAL command line and probed at init. */
		snprintf(p->devargs, sizeof(p->devargs), "%s", conf->device);
		char name[64];
		dev_name(conf->device, name, sizeof(name));
		if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
			snprintf(err, errlen, "port %s: PCI device %s was not probed (not bound to a DPDK driver?)",
				 conf->name, name);
			return -1;
		}
	} else {
		if (port_devargs(conf->device, n_queues, p->devargs, sizeof(p->devargs)) < 0) {
			snprintf(err, errlen, "port %s: device string too long", conf->name);
			return -1;
		}
		int rc = rte_dev_probe(p->devargs);
		if (rc < 0) {
			/* Many PMDs fail probe with a bare -1 after logging why. */
			snprintf(err, errlen, "port %s: cannot create device '%s': %s", conf->name,
				 p->devargs,
				 rc == -1 ? "the driver refused it (its message above says why)"
					  : rte_strerror(-rc));
			return -1;
		}
		p->probed = true;
		char name[64];
		dev_name(p->devargs, name, sizeof(name));
		if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
			snprintf(err, errlen, "port %s: device '%s' is not an ethdev", conf->name,
				 name);
			return -1;
		}
	}
	rte_eth_dev_get_name_by_port(p->port_id, p->devname);
	return 0;
}

int
port_start(struct port *p, struct rte_mempool *pool, char *err, size_t errlen)
{
	const struct cav_port_conf *conf = p->conf;
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", conf->name,
			 rte_strerror(-rc));
		return -1;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (p->n_queues > info.max_rx_queues || p->n_queues > info.max_tx_queues) {
		snprintf(err, errlen,
			 "port %s: %u workers need %u queue pairs, the device offers %u rx / %u tx",
			 conf->name, p->n_queues, p->n_queues, info.max_rx_queues,
			 info.max_tx_queues);
		return -1;
	}

	if (conf->mtu > info.max_mtu) {
		snprintf(err, errlen, "port %s: mtu %u is above the device's maximum %u", conf->name,
			 conf->mtu, info.max_mtu);
		return -1;
	}

	struct rte_eth_conf ec;
	memset(&ec, 0, sizeof(ec));
	ec.rxmode.mtu = conf->mtu;
	p->rx_offloads = info.rx_offload_capa & RX_WANTED;
	p->tx_offloads = info.tx_offload_capa & TX_WANTED;
	ec.rxmode.offloads = p->rx_offloads;
	ec.txmode.offloads = p->tx_offloads;
	uint64_t rss_hf = info.flow_type_rss_offloads & RSS_WANTED;
	if (p->n_queues > 1 && rss_hf != 0) {
		p->rss = true;
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf = rss_hf;
		if (info.hash_key_size == sizeof(symmetric_rss_key)) {
			ec.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
			ec.rx_adv_conf.rss_conf.rss_key_len = sizeof(symmetric_rss_key);
		}
	}

	char rxo[512], txo[512], rxc[1024], txc[1024];
	port_offloads_str(info.rx_offload_capa, true, rxc, sizeof(rxc));
	port_offloads_str(info.tx_offload_capa, false, txc, sizeof(txc));
	port_offloads_str(p->rx_offloads, true, rxo, sizeof(rxo));
	port_offloads_str(p->tx_offloads, false, txo, sizeof(txo));
	CAV_LOG(INFO, "port %s: driver %s, %u queue pair(s), max rx/tx queues %u/%u", conf->name,
		info.driver_name, p->n_queues, info.max_rx_queues, info.max_tx_queues);
	CAV_LOG(INFO, "port %s: rx offload capa: %s", conf->name, rxc);
	CAV_LOG(INFO, "port %s: tx offload capa: %s", conf->name, txc);
	CAV_LOG(INFO, "port %s: using rx offloads: %s; tx offloads: %s; rss: %s", conf->name, rxo,
		txo, p->rss ? "yes" : (info.flow_type_rss_offloads ? "not needed" : "not offered"));

	rc = rte_eth_dev_configure(p->port_id, p->n_queues, p->n_queues, &ec);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure failed: %s", conf->name,
			 rte_strerror(-rc));
		return -1;
	}
	uint16_t nb_rxd = conf->rx_desc, nb_txd = conf->tx_desc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: descriptor counts: %s", conf->name,
			 rte_strerror(-rc));
		return -1;
	}
	int socket = rte_eth_dev_socket_id(p->port_id);
	for (uint16_t q = 0; q < p->n_queues; q++) {
		struct rte_eth_rxconf rxq = info.default_rxconf;
		rxq.offloads = p->rx_offloads;
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned int)socket, &rxq,
					    pool);
		if (rc == 0) {
			struct rte_eth_txconf txq = info.default_txconf;
			txq.offloads = p->tx_offloads;
			rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned int)socket,
						    &txq);
		}
		if (rc != 0) {
			snprintf(err, errlen, "port %s: queue %u setup failed: %s", conf->name, q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_set_mtu(p->port_id, conf->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		CAV_LOG(WARNING, "port %s: cannot set MTU %u: %s", conf->name, conf->mtu,
			rte_strerror(-rc));
	rte_eth_dev_get_mtu(p->port_id, &p->mtu);
	rte_eth_macaddr_get(p->port_id, &p->mac);

	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start failed: %s", conf->name, rte_strerror(-rc));
		return -1;
	}
	p->started = true;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	CAV_LOG(INFO, "port %s: started as ethdev %u (%s), mac %s, mtu %u", conf->name,
		p->port_id, p->devname, mac, p->mtu);
	return 0;
}

void
port_close(struct port *p)
{
	if (p->conf == NULL)
		return;
	if (p->started) {
		int rc = rte_eth_dev_stop(p->port_id);
		if (rc != 0)
			CAV_LOG(WARNING, "port %s: stop: %s", p->conf->name, rte_strerror(-rc));
		p->started = false;
	}
	if (rte_eth_dev_is_valid_port(p->port_id)) {
		struct rte_eth_dev_info info;
		struct rte_device *dev = NULL;
		if (rte_eth_dev_info_get(p->port_id, &info) == 0)
			dev = info.device;
		rte_eth_dev_close(p->port_id);
		if (p->probed && dev != NULL)
			rte_dev_remove(dev);
	}
	p->conf = NULL;
}
