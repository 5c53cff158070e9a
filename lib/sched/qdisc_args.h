/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tc-style qdisc arguments, the words after `cavctl qdisc set dev PORT`:
 *
 *   fq_codel [limit N] [flows N] [quantum N] [target TIME] [interval TIME]
 *            [ecn | noecn] [memory_limit BYTES] [drop_batch N]
 *   shaper rate RATE burst BYTES            (both required, either order)
 *   shaper off                              (no shaper: rate 0)
 *   bands N [map STRING]                    (STRING: one argv word, see prio.h)
 *   fifo [limit N]
 *
 * Words are matched exactly (lower case, as tc). Options may come in any
 * order, each at most once (ecn/noecn count as one option). A `set`
 * replaces the whole configuration: everything not given takes its
 * default (fq_codel_params_default(), the default band map for N bands,
 * fifo limit 1000); only conf->fq_codel.ops is carried over.
 *
 *   N      decimal integer, no sign, no unit
 *   TIME   decimal with optional fraction and a unit: ns, us|usec,
 *          ms|msec, s|sec|secs (e.g. 5ms, 100us, 1s, 2.5ms); a bare
 *          number is rejected (tc would read microseconds; be explicit)
 *   BYTES  decimal with optional fraction and optional unit, binary as in
 *          tc: b (or none) = 1, k|kb = 1024, m|mb = 1024^2, g|gb = 1024^3
 *          (e.g. 1514, 64kb, 32Mb)
 *   RATE   decimal with optional fraction and a unit, decimal as in tc:
 *          bit, kbit, mbit, gbit, tbit (10^0..10^12 bit/s); bps, kbps,
 *          mbps, gbps, tbps (bytes/s, x8); kibit, mibit, gibit, tibit
 *          (1024^n bit/s). A bare number is rejected (tc would read
 *          bytes/s, a classic surprise).
 *   Units are case-insensitive. Fractions are truncated to whole ns,
 *   bytes or bit/s.
 *
 * Ranges: limit 1..1048576; flows 1..65536; quantum 256..1048576;
 * target and interval 1ns..1h; memory_limit 1b..4Gb-1; drop_batch
 * 1..limit; rate 1bit..1tbit; shaper burst 1514b..1Gb (one full frame at
 * least); bands 1..8; fifo limit 1..1048576.
 */
#ifndef CAV_SCHED_QDISC_ARGS_H
#define CAV_SCHED_QDISC_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "fq_codel.h"
#include "prio.h"

#define QDISC_FIFO_DEFAULT_LIMIT 1000u /* Linux pfifo: txqueuelen */
#define QDISC_SHAPER_BURST_MIN 1514u

enum qdisc_kind {
	QDISC_KIND_NONE = 0,
	QDISC_KIND_FQ_CODEL,
	QDISC_KIND_SHAPER,
	QDISC_KIND_BANDS,
	QDISC_KIND_FIFO,
};

struct qdisc_conf {
	enum qdisc_kind kind;
	/* FQ_CODEL; also the per-band fq_codel of BANDS (defaults). ops are
	 * never touched by the parser: the dataplane sets them. */
	struct fq_codel_params fq_codel;
	struct {
		uint64_t rate_bps;
		uint64_t burst_bytes;
	} shaper;
	struct prio_map bands; /* BANDS */
	struct {
		uint32_t limit;
	} fifo;
};

/*
 * Parse argv[0..argc-1] into *conf. Returns 0, or -EINVAL with a message
 * naming the offending word in err (if err != NULL and errlen > 0); *conf
 * is left untouched on error. Pure: no I/O, no globals.
 */
int qdisc_args_parse(int argc, char **argv, struct qdisc_conf *conf, char *err, size_t errlen);

/* Name of a kind as the parser spells it ("fq_codel", ...), "none" for NONE. */
const char *qdisc_kind_name(enum qdisc_kind kind);

#endif /* CAV_SCHED_QDISC_ARGS_H */
