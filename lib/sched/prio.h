/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict-priority bands selected by DSCP, each band an fq_codel instance.
 * Band 0 is served first; a band is served only when every band before it
 * is empty. Within a band, fq_codel keeps flows fair and delay low.
 *
 * Strict priority can starve the lower bands: keep band 0 for traffic
 * that is small by nature (network control, voice), as the default map
 * does.
 *
 * Thread safety: none; one instance per TX queue.
 */
#ifndef CAV_SCHED_PRIO_H
#define CAV_SCHED_PRIO_H

#include <stddef.h>
#include <stdint.h>

#include "fq_codel.h"

#define PRIO_BANDS_MAX 8u
#define PRIO_DSCP_COUNT 64u

/* DSCP code points used by the default map (RFC 2474, RFC 3246). */
#define PRIO_DSCP_CS1 8u
#define PRIO_DSCP_EF 46u
#define PRIO_DSCP_CS6 48u
#define PRIO_DSCP_CS7 56u

struct prio_map {
	uint8_t bands;		       /* 1..PRIO_BANDS_MAX */
	uint8_t band[PRIO_DSCP_COUNT]; /* DSCP -> band, each < bands */
};

/*
 * The default map for `bands` (clamped to 1..PRIO_BANDS_MAX): EF, CS6 and
 * CS7 -> band 0; CS1 (lower effort, RFC 4594) -> band 2 when there are at
 * least 3 bands; everything else -> band 1 (band 0 if there is only one).
 */
void prio_map_default(struct prio_map *m, unsigned bands);

/*
 * Parse a band map. Grammar (tokens separated by blanks, case-insensitive):
 *
 *   map     = [ COUNT ] item { item }
 *   COUNT   = decimal 1..8          number of bands
 *   item    = dscps ":" BAND  |  "default:" BAND
 *   dscps   = dscp { "," dscp }
 *   dscp    = decimal 0..63 | "cs0".."cs7" | "af11".."af43" (x = 1..4, y = 1..3)
 *             | "ef" (46) | "va" (voice-admit, 44) | "le" (lower effort, 1) | "be" (0)
 *   BAND    = decimal 0..COUNT-1
 *
 * Without COUNT the band count is m->bands on entry. Every code point not
 * listed goes to the default band: the `default:` item if given, else 1
 * (0 with a single band). A code point listed twice, or two `default:`
 * items, is an error. Example: "3 ef,cs6,cs7:0 cs1:2 default:1" is the
 * default map for 3 bands.
 *
 * Returns 0 and fills *m, or -EINVAL with a message naming the bad token
 * in err (if err != NULL and errlen > 0); *m is untouched on error.
 */
int prio_map_parse(const char *str, struct prio_map *m, char *err, size_t errlen);

struct prio;

/*
 * One fq_codel per band, all built from *band_params (ops included).
 * NULL with errno EINVAL (bad map or params) or ENOMEM.
 */
struct prio *prio_create(const struct prio_map *map, const struct fq_codel_params *band_params);

/* Frees every band and the packets still queued (through ops.free). NULL is a no-op. */
void prio_free(struct prio *p);

/* Band a DSCP value goes to; DSCP above 63 uses only its low 6 bits. */
unsigned prio_band_of(const struct prio *p, uint8_t dscp);

/*
 * Enqueue on the band `dscp` selects (0..63, -EINVAL otherwise, packet not
 * taken). Otherwise as fq_codel_enqueue(): the packet is owned by the
 * queue and the return value counts the overflow drops in that band.
 */
int prio_enqueue(struct prio *p, void *pkt, uint32_t len, uint32_t hash, uint8_t dscp,
		 uint64_t now);

/* Next packet from the first non-empty band, or NULL. `*band` (if non-NULL) gets its band. */
void *prio_dequeue(struct prio *p, uint64_t now, uint32_t *len, unsigned *band);

/* Packets queued in all bands; `*bytes` (if non-NULL) gets the bytes. */
uint32_t prio_backlog(const struct prio *p, uint64_t *bytes);

unsigned prio_bands(const struct prio *p);

/* The fq_codel of one band (for stats), or NULL if band >= prio_bands(). */
struct fq_codel *prio_band(const struct prio *p, unsigned band);

#endif /* CAV_SCHED_PRIO_H */
