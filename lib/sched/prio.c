/* SPDX-License-Identifier: BSD-3-Clause */
/* Strict-priority DSCP bands over fq_codel; the band-map grammar is in prio.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_err.h"
#include "prio.h"

struct prio {
	struct prio_map map;
	struct fq_codel *band[PRIO_BANDS_MAX];
};

void
prio_map_default(struct prio_map *m, unsigned bands)
{
	unsigned d, rest;

	if (bands < 1)
		bands = 1;
	if (bands > PRIO_BANDS_MAX)
		bands = PRIO_BANDS_MAX;
	rest = bands > 1 ? 1 : 0;
	m->bands = (uint8_t)bands;
	for (d = 0; d < PRIO_DSCP_COUNT; d++)
		m->band[d] = (uint8_t)rest;
	/* Network control (CS6, CS7) and expedited forwarding (EF) first. */
	m->band[PRIO_DSCP_EF] = 0;
	m->band[PRIO_DSCP_CS6] = 0;
	m->band[PRIO_DSCP_CS7] = 0;
	/* CS1 is RFC 4594's Low-Priority Data class: last, if there is a band for it. */
	if (bands >= 3)
		m->band[PRIO_DSCP_CS1] = 2;
}

/* Case-insensitive: does [s, s + n) spell `word` exactly? */
static bool
tok_is(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] == '\0' || sched_lower(s[i]) != word[i])
			return false;
	return word[n] == '\0';
}

/* Decimal [s, s + n) into *out, at most max; no sign, no blanks, not empty. */
static bool
tok_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool
tok_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* A DSCP name or number (see prio.h). */
static bool
dscp_parse(const char *s, size_t n, unsigned *out)
{
	if (tok_uint(s, n, PRIO_DSCP_COUNT - 1, out))
		return true;
	if (n == 3 && tok_is(s, 2, "cs") && s[2] >= '0' && s[2] <= '7') {
		*out = 8u * (unsigned)(s[2] - '0');
		return true;
	}
	/* AFxy = 8x + 2y, RFC 2597 §6. */
	if (n == 4 && tok_is(s, 2, "af") && s[2] >= '1' && s[2] <= '4' && s[3] >= '1' &&
	    s[3] <= '3') {
		*out = 8u * (unsigned)(s[2] - '0') + 2u * (unsigned)(s[3] - '0');
		return true;
	}
	if (tok_is(s, n, "ef")) {
		*out = PRIO_DSCP_EF;
		return true;
	}
	if (tok_is(s, n, "va")) { /* VOICE-ADMIT, RFC 5865 */
		*out = 44;
		return true;
	}
	if (tok_is(s, n, "le")) { /* lower effort, RFC 8622 */
		*out = 1;
		return true;
	}
	if (tok_is(s, n, "be")) {
		*out = 0;
		return true;
	}
	return false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* One "dscps:BAND" or "default:BAND" item. */
static int
map_item(const char *tok, size_t n, unsigned bands, bool listed[], struct prio_map *tmp,
	 int *default_band, char *err, size_t errlen)
{
	const char *colon = memchr(tok, ':', n);
	const char *p, *end;
	size_t left, right;
	unsigned band;

	if (colon == NULL)
		return sched_err(err, errlen, "band map: '%.*s' is not DSCPS:BAND", (int)n, tok);
	left = (size_t)(colon - tok);
	right = n - left - 1;
	if (!tok_uint(colon + 1, right, bands - 1, &band)) {
		if (tok_digits(colon + 1, right))
			return sched_err(err, errlen,
				       "band map: band '%.*s' in '%.*s' out of range 0..%u",
				       (int)right, colon + 1, (int)n, tok, bands - 1);
		return sched_err(err, errlen, "band map: bad band '%.*s' in '%.*s' (expected 0..%u)",
			       (int)right, colon + 1, (int)n, tok, bands - 1);
	}
	if (tok_is(tok, left, "default")) {
		if (*default_band >= 0)
			return sched_err(err, errlen, "band map: 'default' given twice");
		*default_band = (int)band;
		return 0;
	}
	for (p = tok; p <= colon; p = end + 1) {
		unsigned d;

		end = memchr(p, ',', (size_t)(colon - p));
		if (end == NULL)
			end = colon;
		if (end == p)
			return sched_err(err, errlen, "band map: empty DSCP in '%.*s'", (int)n, tok);
		if (!dscp_parse(p, (size_t)(end - p), &d))
			return sched_err(err, errlen,
				       "band map: unknown DSCP '%.*s' (expected 0..63, cs0..cs7, "
				       "af11..af43, ef, va, le or be)",
				       (int)(end - p), p);
		if (listed[d])
			return sched_err(err, errlen, "band map: DSCP '%.*s' (%u) mapped twice",
				       (int)(end - p), p, d);
		listed[d] = true;
		tmp->band[d] = (uint8_t)band;
	}
	return 0;
}

int
prio_map_parse(const char *str, struct prio_map *m, char *err, size_t errlen)
{
	bool listed[PRIO_DSCP_COUNT] = {false};
	struct prio_map tmp;
	int default_band = -1;
	unsigned bands, d;
	bool first = true;
	const char *s;
	int rc;

	if (str == NULL || m == NULL)
		return sched_err(err, errlen, "band map: missing");
	tmp = *m;
	bands = tmp.bands;
	for (s = str;;) {
		const char *tok;
		size_t n;

		while (is_blank(*s))
			s++;
		if (*s == '\0')
			break;
		tok = s;
		while (*s != '\0' && !is_blank(*s))
			s++;
		n = (size_t)(s - tok);

		if (first && tok_digits(tok, n)) {
			if (!tok_uint(tok, n, PRIO_BANDS_MAX, &bands) || bands < 1)
				return sched_err(err, errlen,
					       "band map: band count '%.*s' out of range 1..%u",
					       (int)n, tok, PRIO_BANDS_MAX);
			first = false;
			continue;
		}
		if (first && (bands < 1 || bands > PRIO_BANDS_MAX))
			return sched_err(err, errlen, "band map: no band count given (1..%u)",
				       PRIO_BANDS_MAX);
		first = false;
		rc = map_item(tok, n, bands, listed, &tmp, &default_band, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (first)
		return sched_err(err, errlen, "band map: empty");

	if (default_band < 0)
		default_band = bands > 1 ? 1 : 0;
	tmp.bands = (uint8_t)bands;
	for (d = 0; d < PRIO_DSCP_COUNT; d++)
		if (!listed[d])
			tmp.band[d] = (uint8_t)default_band;
	*m = tmp;
	return 0;
}

static bool
prio_map_valid(const struct prio_map *m)
{
	unsigned d;

	if (m->bands < 1 || m->bands > PRIO_BANDS_MAX)
		return false;
	for (d = 0; d < PRIO_DSCP_COUNT; d++)
		if (m->band[d] >= m->bands)
			return false;
	return true;
}

struct prio *
prio_create(const struct prio_map *map, const struct fq_codel_params *band_params)
{
	struct prio *p;
	unsigned b;

	if (map == NULL || !prio_map_valid(map) || fq_codel_params_check(band_params) != 0) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->map = *map;
	for (b = 0; b < map->bands; b++) {
		p->band[b] = fq_codel_create(band_params);
		if (p->band[b] == NULL) {
			prio_free(p); /* keeps errno: free() does not set it */
			errno = ENOMEM;
			return NULL;
		}
	}
	return p;
}

void
prio_free(struct prio *p)
{
	unsigned b;

	if (p == NULL)
		return;
	for (b = 0; b < PRIO_BANDS_MAX; b++)
		fq_codel_free(p->band[b]);
	free(p);
}

unsigned
prio_band_of(const struct prio *p, uint8_t dscp)
{
	return p->map.band[dscp & (PRIO_DSCP_COUNT - 1)];
}

int
prio_enqueue(struct prio *p, void *pkt, uint32_t len, uint32_t hash, uint8_t dscp, uint64_t now)
{
	if (p == NULL || dscp >= PRIO_DSCP_COUNT)
		return -EINVAL;
	return fq_codel_enqueue(p->band[p->map.band[dscp]], pkt, len, hash, now);
}

void *
prio_dequeue(struct prio *p, uint64_t now, uint32_t *len, unsigned *band)
{
	unsigned b;

	if (p == NULL)
		return NULL;
	/*
	 * Strict priority: a lower band only when every higher one came back
	 * empty. A band may hold packets and still return NULL when CoDel
	 * dropped all it had; then the next band gets the turn.
	 */
	for (b = 0; b < p->map.bands; b++) {
		void *pkt;

		if (fq_codel_backlog(p->band[b], NULL) == 0)
			continue;
		pkt = fq_codel_dequeue(p->band[b], now, len);
		if (pkt != NULL) {
			if (band != NULL)
				*band = b;
			return pkt;
		}
	}
	return NULL;
}

uint32_t
prio_backlog(const struct prio *p, uint64_t *bytes)
{
	uint64_t total = 0, b_bytes;
	uint32_t pkts = 0;
	unsigned b;

	for (b = 0; p != NULL && b < p->map.bands; b++) {
		pkts += fq_codel_backlog(p->band[b], &b_bytes);
		total += b_bytes;
	}
	if (bytes != NULL)
		*bytes = total;
	return pkts;
}

unsigned
prio_bands(const struct prio *p)
{
	return p->map.bands;
}

struct fq_codel *
prio_band(const struct prio *p, unsigned band)
{
	return band < p->map.bands ? p->band[band] : NULL;
}
