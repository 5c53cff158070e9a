/* SPDX-License-Identifier: BSD-3-Clause */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int
parse_mode(const char *s, uint32_t *out)
{
	if (*s == '\0' || strlen(s) > 4)
		return -1;
	uint32_t v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return -1;
		v = v * 8 + (uint32_t)(*p - '0');
	}
	if (v > 0777)
		return -1;
	*out = v;
	return 0;
}

int
parse_ip4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		unsigned int octet = 0;
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			octet = octet * 10 + (unsigned int)(*p++ - '0');
			if (++digits > 3 || octet > 255)
				return -1;
		}
		v = (v << 8) | octet;
		if (i < 3 && *p++ != '.')
			return -1;
	}
	if (*p != '\0')
		return -1;
	*out = v;
	return 0;
}

int
parse_ip4_cidr(const char *s, uint32_t *addr, uint8_t *len)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	uint32_t a;
	uint64_t l;
	if (parse_ip4(buf, &a) < 0)
		return -1;
	if (!isdigit((unsigned char)slash[1]) || strlen(slash + 1) > 2 ||
	    parse_u64(slash + 1, 0, 32, &l) < 0)
		return -1;
	*addr = a;
	*len = (uint8_t)l;
	return 0;
}

int
parse_cpulist(const char *s, uint64_t *mask)
{
	uint64_t m = 0;
	const char *p = s;
	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		char *end;
		if (!isdigit((unsigned char)*p))
			return -1;
		unsigned long a = strtoul(p, &end, 10);
		unsigned long b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (a > 63 || b > 63 || b < a)
			return -1;
		for (unsigned long c = a; c <= b; c++)
			m |= UINT64_C(1) << c;
		if (*p == ',' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			return -1;
	}
	*mask = m;
	return 0;
}

const char *
fmt_ip4(uint32_t addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
	return buf;
}
