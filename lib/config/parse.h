/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_PARSE_H
#define CAV_PARSE_H

/* Value parsers shared by the config file and the control commands. Each
 * returns 0 on success and -1 on error, and never writes *out on error. */

#include <stdbool.h>
#include <stdint.h>

/* Unsigned decimal (or 0x hex) integer in [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *s, bool *out);

/* Octal file mode such as 0660 (at most 0777). */
int parse_mode(const char *s, uint32_t *out);

/* Dotted-quad IPv4 address; *out in host byte order. */
int parse_ip4(const char *s, uint32_t *out);

/* A.B.C.D/LEN, LEN in 0..32; address in host byte order. Host bits may be
 * set (an interface address names its host). */
int parse_ip4_cidr(const char *s, uint32_t *addr, uint8_t *len);

/* CPU list "0-3,5" into a bit mask of up to 64 CPUs. */
int parse_cpulist(const char *s, uint64_t *mask);

/* Format a host-order address as dotted quad into buf (>= 16 bytes). */
const char *fmt_ip4(uint32_t addr, char *buf);

#endif
