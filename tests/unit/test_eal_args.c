/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eal_args.h"

static struct cav_config cfg;
static struct eal_args a;

static int
find(const char *arg)
{
	for (int i = 0; i < a.argc; i++)
		if (strcmp(a.argv[i], arg) == 0)
			return i;
	return -1;
}

static void
test_vdev_only_gets_no_pci_and_unique_prefix(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(cav_config_parse("t", "[daemon]\nworkers = 2\n[port p]\ndevice = net_null0\n",
					  &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(eal_args_build(&cfg, "cavalryd", 4242, 0x3, &a), 0);
	assert_true(find("--no-pci") > 0);
	int i = find("--file-prefix");
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "cavalry-4242");
	assert_true(find("--no-huge") > 0);
	i = find("--lcores");
	assert_true(i > 0);
	/* main on cpu 0, workers wrap over the two CPUs */
	assert_string_equal(a.argv[i + 1], "0@0,1@1,2@0");
	assert_int_equal(a.worker_cpu[0], 1);
	assert_int_equal(a.worker_cpu[1], 0);
	assert_null(a.argv[a.argc]);
	assert_int_equal(find("-a"), -1);
}

static void
test_pci_port_is_allow_listed_instead_of_no_pci(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(cav_config_parse("t", "[eal]\nhugepages = yes\n[port p]\ndevice = 0000:03:00.0\n",
					  &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(eal_args_build(&cfg, "cavalryd", 1, 0xf, &a), 0);
	assert_int_equal(find("--no-pci"), -1);
	int i = find("-a");
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "0000:03:00.0");
	assert_true(find("--huge-unlink=always") > 0);
	assert_int_equal(find("--no-huge"), -1);
}

static void
test_cpu_mask_restricts_and_empty_mask_fails(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(cav_config_parse("t", "[eal]\ncpus = 2-3\n[port p]\ndevice = net_null0\n",
					  &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(eal_args_build(&cfg, "cavalryd", 1, 0xf, &a), 0);
	assert_string_equal(a.argv[find("--lcores") + 1], "0@2,1@3");
	assert_int_equal(eal_args_build(&cfg, "cavalryd", 1, 0x3, &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vdev_only_gets_no_pci_and_unique_prefix),
		cmocka_unit_test(test_pci_port_is_allow_listed_instead_of_no_pci),
		cmocka_unit_test(test_cpu_mask_restricts_and_empty_mask_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
