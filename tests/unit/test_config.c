/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static struct cav_config cfg;

static void
test_full_config_is_read(void **state)
{
	(void)state;
	const char *text = "[eal]\n"
			   "cpus = 0-1\n"
			   "memory_mb = 256\n"
			   "file_prefix = demo\n"
			   "log_level = debug\n"
			   "[daemon]\n"
			   "workers = 2\n"
			   "idle_sleep_us = 50\n"
			   "control_socket = /tmp/c.sock\n"
			   "control_mode = 0600\n"
			   "control_group = 0\n"
			   "[port dp0]\n"
			   "device = net_af_packet0,iface=veth0\n"
			   "address = 198.18.0.1/24\n"
			   "address = 198.18.9.1/30\n"
			   "mtu = 1400\n"
			   "neighbor = 198.18.0.2 02:00:00:aa:bb:0c\n"
			   "netns = cavdemo\n"
			   "[port nic]\n"
			   "device = 0000:01:00.0\n"
			   "[routes]\n"
			   "route = default via 198.18.0.254\n"
			   "route = 198.19.0.0/16 via 198.18.0.2\n";
	char err[256];
	int rc = cav_config_parse("full.conf", text, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.cpu_mask, 3);
	assert_int_equal(cfg.memory_mb, 256);
	assert_string_equal(cfg.file_prefix, "demo");
	assert_int_equal(cfg.log_level, CAV_LOG_DEBUG);
	assert_int_equal(cfg.n_workers, 2);
	assert_int_equal(cfg.idle_sleep_us, 50);
	assert_string_equal(cfg.control_socket, "/tmp/c.sock");
	assert_int_equal(cfg.control_mode, 0600);
	assert_int_equal(cfg.control_gid, 0);
	assert_int_equal(cfg.n_ports, 2);
	assert_string_equal(cfg.ports[0].name, "dp0");
	assert_false(cfg.ports[0].is_pci);
	assert_int_equal(cfg.ports[0].n_addrs, 2);
	assert_int_equal(cfg.ports[0].addrs[1].addr, 0xc6120901);
	assert_int_equal(cfg.ports[0].addrs[1].prefix_len, 30);
	assert_int_equal(cfg.ports[0].mtu, 1400);
	assert_int_equal(cfg.ports[0].n_neighs, 1);
	assert_string_equal(cfg.ports[0].netns, "cavdemo");
	assert_string_equal(cfg.ports[1].netns, "");
	assert_int_equal(cfg.ports[0].neighs[0].addr, 0xc6120002);
	assert_int_equal(cfg.ports[0].neighs[0].mac[5], 0x0c);
	assert_int_equal(cfg.ports[1].mtu, 1500);
	assert_true(cfg.ports[1].is_pci);
	assert_int_equal(cfg.n_routes, 2);
	assert_int_equal(cfg.routes[0].prefix_len, 0);
	assert_int_equal(cfg.routes[0].gateway, 0xc61200fe);
	assert_int_equal(cfg.routes[1].prefix, 0xc6130000);
	assert_int_equal(cfg.routes[1].prefix_len, 16);
}

static void
test_defaults(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(cav_config_parse("d.conf", "[port p]\ndevice = net_null0\n", &cfg, err,
					  sizeof(err)),
			 0);
	assert_int_equal(cfg.n_workers, 1);
	assert_false(cfg.hugepages);
	assert_int_equal(cfg.control_mode, 0660);
	assert_int_equal(cfg.control_gid, -1);
	assert_string_equal(cfg.file_prefix, "cavalry");
	assert_int_equal(cfg.ports[0].rx_desc, 1024);
}

static void
expect_error(const char *text, const char *msg)
{
	char err[256];
	struct cav_config before;
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(cav_config_parse("bad.conf", text, &cfg, err, sizeof(err)), -1);
	if (strstr(err, msg) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, msg);
	/* A failed load leaves the caller's config untouched. */
	assert_memory_equal(&before, &cfg, sizeof(cfg));
}

#define PORT "[port p]\ndevice = net_null0\n"

static void
test_every_error_names_file_and_line(void **state)
{
	(void)state;
	expect_error("[eal]\nmemroy_mb = 1\n" PORT, "bad.conf:2: unknown key 'memroy_mb' in [eal]");
	expect_error("[daemon]\nworker = 1\n" PORT, "bad.conf:2: unknown key 'worker' in [daemon]");
	expect_error(PORT "colour = red\n", "bad.conf:3: unknown key 'colour' in [port p]");
	expect_error(PORT "address = 198.18.0.300/24\n",
		     "bad.conf:3: address: '198.18.0.300/24' is not an IPv4 CIDR");
	expect_error(PORT "address = 198.18.0.1/40\n", "bad.conf:3: address:");
	expect_error(PORT "address = 198.18.0.1/0\n", "bad.conf:3: address: prefix length");
	expect_error(PORT "address = 198.18.0.1/24\naddress = 198.18.0.1/16\n",
		     "bad.conf:4: address: duplicate address");
	expect_error("[bogus]\n" PORT, "bad.conf:1: unknown section [bogus]");
	expect_error("[daemon]\nworkers = 0\n" PORT, "bad.conf:2: workers: '0' is not an integer in 1..32");
	expect_error("[daemon]\nworkers = 33\n" PORT, "bad.conf:2: workers:");
	expect_error("[daemon]\nworkers = 1\nworkers = 2\n" PORT,
		     "bad.conf:3: duplicate key 'workers' (first at line 2)");
	expect_error("[daemon]\n[daemon]\n" PORT, "bad.conf:2: section [daemon] repeated");
	expect_error("[daemon x]\n" PORT, "bad.conf:1: [daemon] takes no name");
	expect_error("[daemon]\ncontrol_socket = rel/path\n" PORT, "bad.conf:2: control_socket: must be an absolute path");
	expect_error("[daemon]\ncontrol_mode = 999\n" PORT, "bad.conf:2: control_mode:");
	expect_error("[daemon]\ncontrol_group = no-such-group-here\n" PORT,
		     "bad.conf:2: control_group: no group named");
	expect_error("[eal]\nhugepages = maybe\n" PORT, "bad.conf:2: hugepages:");
	expect_error("[eal]\nlog_level = loud\n" PORT, "bad.conf:2: log_level:");
	expect_error("[eal]\ncpus = 9-1\n" PORT, "bad.conf:2: cpus:");
	expect_error("[eal]\nfile_prefix = a/b\n" PORT, "bad.conf:2: file_prefix:");
	expect_error("[eal]\nmemory_mb = 1\n" PORT, "bad.conf:2: memory_mb:");
	expect_error("[port]\ndevice = net_null0\n", "bad.conf:1: a port section needs a name");
	expect_error("[port p]\nmtu = 1500\n", "bad.conf:1: port 'p' has no 'device'");
	expect_error("[port p]\ndevice = eth0\n", "bad.conf:2: device: 'eth0' is neither");
	expect_error("[port p]\ndevice =\n", "bad.conf:2: device: empty value");
	expect_error(PORT "mtu = 100\n", "bad.conf:3: mtu:");
	expect_error(PORT "[port p]\ndevice = net_null1\n", "bad.conf:3: port 'p' defined twice");
	expect_error(PORT "[port q]\ndevice = net_null0\n", "bad.conf:3: port 'q' uses the device of port 'p'");
	expect_error("[port p]\ndevice = net_null0\naddress = 198.18.0.1/24\n"
		     "[port q]\ndevice = net_null1\naddress = 198.18.0.1/16\n",
		     "bad.conf:4: port 'q' repeats an address of port 'p'");
	expect_error("[daemon]\nworkers = 1\n", "no [port NAME] section");
	expect_error(PORT "neighbor = 198.18.0.2\n", "bad.conf:3: neighbor: expected 'IP MAC'");
	expect_error(PORT "neighbor = 198.18.0.2 02:00:00:00:00:1ff\n", "bad.conf:3: neighbor: bad MAC");
	expect_error("[routes]\nroute = 198.18.4.0/24 198.18.0.2\n" PORT,
		     "bad.conf:2: route: expected 'PREFIX/LEN via GATEWAY'");
	expect_error("[routes]\nroute = 198.18.4.1/24 via 198.18.0.2\n" PORT,
		     "bad.conf:2: route: '198.18.4.1/24' has host bits set");
	expect_error("[routes]\nroute = default via 198.18.0.2\nroute = default via 198.18.0.3\n" PORT,
		     "bad.conf:3: route: 'default' repeated (first at line 2)");
	expect_error("[routes]\nroute = default via 1.2.3\n" PORT, "bad.conf:2: route: gateway");
	expect_error("[routes]\nroute = default via 198.18.9.9\n" PORT "address = 198.18.0.1/24\n",
		     "bad.conf:2: route: gateway is not on the subnet of any port address");
	expect_error("[routes]\nroute = 198.18.0.0/24 via 198.18.0.9\n" PORT "address = 198.18.0.1/24\n",
		     "bad.conf:2: route: the prefix is the connected subnet of port 'p'");
	expect_error(PORT "netns = a/b\n", "bad.conf:3: netns:");
	expect_error("[port p]\ndevice = 0000:01:00.0\nnetns = x\n",
		     "bad.conf:1: port 'p': netns applies to vdevs");
	expect_error("[port abcdefghijklmnopq]\ndevice = net_null0\n", "bad.conf:1: port name");
}

static void
test_load_reports_missing_file(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(cav_config_load("/nonexistent/x.conf", &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.conf:0: cannot open"));
}

static void
test_pci_detection(void **state)
{
	(void)state;
	assert_true(cav_device_is_pci("0000:01:00.0"));
	assert_true(cav_device_is_pci("01:00.1"));
	assert_true(cav_device_is_pci("0000:af:00.7,rx_queues=2"));
	assert_false(cav_device_is_pci("0000:01:00.8"));
	assert_false(cav_device_is_pci("net_tap0,iface=x"));
	assert_false(cav_device_is_pci("01:00"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config_is_read),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_error_names_file_and_line),
		cmocka_unit_test(test_load_reports_missing_file),
		cmocka_unit_test(test_pci_detection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
