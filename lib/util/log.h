/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_LOG_H
#define CAV_LOG_H

#include <rte_log.h>

extern int cav_logtype;

/* One line per message, through rte_log so --log-level applies. */
#define CAV_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, cav_logtype, "cavalry: " fmt "\n", ##__VA_ARGS__)

#endif
