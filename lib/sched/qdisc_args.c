/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tc-style qdisc arguments; the grammar, units and ranges are in
 * qdisc_args.h. Each kind is a table of options; one generic loop parses
 * any kind's words into numbered slots, so every kind gets the same
 * duplicate, missing-value and range checks and the same messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sched_err.h"
#include "qdisc_args.h"

#define QA_SLOTS 8
#define QA_FRAC_DIGITS_MAX 9

enum qa_type {
	QA_FLAG,  /* no value; the option stores flag */
	QA_UINT,  /* N */
	QA_TIME,  /* TIME, in ns */
	QA_BYTES, /* BYTES */
	QA_RATE,  /* RATE, in bit/s */
	QA_STR,	  /* any one word */
};

struct qa_opt {
	const char *name;
	enum qa_type type;
	uint8_t slot;
	uint8_t flag;
	uint64_t min, max;
};

struct qa_unit {
	const char *name;
	uint64_t mult;
};

/* Parsed words of one command line, by slot. */
struct qa_vals {
	unsigned seen;		    /* bit per slot */
	const char *word[QA_SLOTS]; /* the option word that filled the slot */
	uint64_t num[QA_SLOTS];
	const char *str[QA_SLOTS];
};

static const struct qa_unit time_units[] = {
    {"ns", 1},		 {"us", 1000},	       {"usec", 1000},	   {"usecs", 1000},
    {"ms", 1000000},	 {"msec", 1000000},    {"msecs", 1000000}, {"s", 1000000000},
    {"sec", 1000000000}, {"secs", 1000000000}, {NULL, 0},
};

/* iproute2 get_size(): binary multiples; "b" or nothing is bytes. */
static const struct qa_unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", UINT64_C(1) << 10},
    {"kb", UINT64_C(1) << 10},
    {"m", UINT64_C(1) << 20},
    {"mb", UINT64_C(1) << 20},
    {"g", UINT64_C(1) << 30},
    {"gb", UINT64_C(1) << 30},
    {NULL, 0},
};

/* iproute2 get_rate(): SI bits, SI bytes (x8), IEC bits. */
static const struct qa_unit rate_units[] = {
    {"bit", 1},
    {"kbit", UINT64_C(1000)},
    {"mbit", UINT64_C(1000000)},
    {"gbit", UINT64_C(1000000000)},
    {"tbit", UINT64_C(1000000000000)},
    {"bps", 8},
    {"kbps", UINT64_C(8000)},
    {"mbps", UINT64_C(8000000)},
    {"gbps", UINT64_C(8000000000)},
    {"tbps", UINT64_C(8000000000000)},
    {"kibit", UINT64_C(1) << 10},
    {"mibit", UINT64_C(1) << 20},
    {"gibit", UINT64_C(1) << 30},
    {"tibit", UINT64_C(1) << 40},
    {NULL, 0},
};

enum { FQ_LIMIT, FQ_FLOWS, FQ_QUANTUM, FQ_TARGET, FQ_INTERVAL, FQ_ECN, FQ_MEMLIMIT, FQ_BATCH };

static const struct qa_opt fq_codel_opts[] = {
    {"limit", QA_UINT, FQ_LIMIT, 0, 1, FQ_CODEL_LIMIT_MAX},
    {"flows", QA_UINT, FQ_FLOWS, 0, 1, FQ_CODEL_FLOWS_MAX},
    {"quantum", QA_UINT, FQ_QUANTUM, 0, FQ_CODEL_QUANTUM_MIN, FQ_CODEL_QUANTUM_MAX},
    {"target", QA_TIME, FQ_TARGET, 0, 1, FQ_CODEL_TIME_MAX_NS},
    {"interval", QA_TIME, FQ_INTERVAL, 0, 1, FQ_CODEL_TIME_MAX_NS},
    {"ecn", QA_FLAG, FQ_ECN, 1, 0, 0},
    {"noecn", QA_FLAG, FQ_ECN, 0, 0, 0},
    {"memory_limit", QA_BYTES, FQ_MEMLIMIT, 0, 1, UINT32_MAX},
    {"drop_batch", QA_UINT, FQ_BATCH, 0, 1, FQ_CODEL_LIMIT_MAX},
    {NULL, QA_FLAG, 0, 0, 0, 0},
};

enum { SH_RATE, SH_BURST };

static const struct qa_opt shaper_opts[] = {
    {"rate", QA_RATE, SH_RATE, 0, 1, UINT64_C(1000000000000)},
    {"burst", QA_BYTES, SH_BURST, 0, QDISC_SHAPER_BURST_MIN, UINT64_C(1) << 30},
    {NULL, QA_FLAG, 0, 0, 0, 0},
};

enum { BANDS_MAP };

static const struct qa_opt bands_opts[] = {
    {"map", QA_STR, BANDS_MAP, 0, 0, 0},
    {NULL, QA_FLAG, 0, 0, 0, 0},
};

enum { FIFO_LIMIT };

static const struct qa_opt fifo_opts[] = {
    {"limit", QA_UINT, FIFO_LIMIT, 0, 1, FQ_CODEL_LIMIT_MAX},
    {NULL, QA_FLAG, 0, 0, 0, 0},
};

#define QA_KINDS "fq_codel, shaper, bands or fifo"

static bool
unit_is(const char *s, const char *unit)
{
	while (*s != '\0' && *unit != '\0' && sched_lower(*s) == *unit) {
		s++;
		unit++;
	}
	return *s == '\0' && *unit == '\0';
}

static uint64_t
pow10_u64(unsigned d)
{
	uint64_t p = 1;

	while (d-- > 0)
		p *= 10;
	return p;
}

/*
 * "12.5ms" -> 12500000 with the unit table. Integer arithmetic only:
 * the fraction is scaled as f * (mult / P) + f * (mult % P) / P, where
 * P = 10^digits, so no product exceeds 2^64. Returns false if the word is
 * not a number, has no unit where `units` has none for "", or overflows;
 * *unit_bad then tells which (unit problem or number problem).
 */
static bool
qa_number(const char *s, const struct qa_unit *units, uint64_t *out, bool *unit_bad)
{
	uint64_t ip = 0, frac = 0, p, v;
	unsigned digits = 0;
	const struct qa_unit *u;

	*unit_bad = false;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return false;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++digits > QA_FRAC_DIGITS_MAX)
				return false;
			frac = frac * 10 + (uint64_t)(*s - '0');
		}
	}
	for (u = units; u->name != NULL; u++)
		if (unit_is(s, u->name))
			break;
	if (u->name == NULL) {
		*unit_bad = true;
		return false;
	}
	if (ip != 0 && u->mult > UINT64_MAX / ip)
		return false;
	v = ip * u->mult;
	p = pow10_u64(digits);
	frac = frac * (u->mult / p) + frac * (u->mult % p) / p;
	if (frac > UINT64_MAX - v)
		return false;
	*out = v + frac;
	return true;
}

static int
qa_value(const char *kind, const struct qa_opt *o, const char *word, uint64_t *out, char *err,
	 size_t errlen)
{
	static const struct qa_unit no_units[] = {{"", 1}, {NULL, 0}};
	const struct qa_unit *units;
	const char *what;
	bool unit_bad;

	switch (o->type) {
	case QA_UINT:
		units = no_units;
		what = "expected a whole number";
		break;
	case QA_TIME:
		units = time_units;
		what = "expected TIME: a number and a unit ns, us, ms or s, e.g. 5ms";
		break;
	case QA_BYTES:
		units = size_units;
		what = "expected BYTES: a number with an optional unit b, kb, mb or gb, e.g. 64kb";
		break;
	case QA_RATE:
		units = rate_units;
		what = "expected RATE: a number and a unit such as bit, kbit, mbit, gbit, tbit, "
		       "kbps, mbps or kibit, e.g. 10mbit";
		break;
	default:
		return 0;
	}
	/* N is whole: "10.5" must not quietly become 10. */
	if (!qa_number(word, units, out, &unit_bad) ||
	    (o->type == QA_UINT && strchr(word, '.') != NULL)) {
		if (o->type == QA_UINT && unit_bad)
			return sched_err(err, errlen, "%s: bad %s '%s' (%s)", kind, o->name, word,
				      what);
		return sched_err(err, errlen, "%s: bad %s '%s' (%s%s)", kind, o->name, word,
			      unit_bad ? "missing or unknown unit; " : "", what);
	}
	if (*out < o->min || *out > o->max)
		return sched_err(err, errlen, "%s: %s '%s' out of range %" PRIu64 "..%" PRIu64 "%s",
			      kind, o->name, word, o->min, o->max,
			      o->type == QA_TIME    ? " ns"
			      : o->type == QA_BYTES ? " bytes"
			      : o->type == QA_RATE  ? " bit/s"
						    : "");
	return 0;
}

/* Parse argv[i..argc-1] as options from `opts` into *v. */
static int
qa_opts(const char *kind, const struct qa_opt *opts, int argc, char **argv, int i,
	struct qa_vals *v, char *err, size_t errlen)
{
	for (; i < argc; i++) {
		const struct qa_opt *o;
		int rc;

		if (argv[i] == NULL)
			return sched_err(err, errlen, "%s: missing word %d", kind, i);
		for (o = opts; o->name != NULL; o++)
			if (strcmp(argv[i], o->name) == 0)
				break;
		if (o->name == NULL)
			return sched_err(err, errlen, "%s: unknown option '%s'", kind, argv[i]);
		if (v->seen & (1u << o->slot)) {
			if (strcmp(v->word[o->slot], argv[i]) == 0)
				return sched_err(err, errlen, "%s: '%s' given twice", kind, argv[i]);
			return sched_err(err, errlen, "%s: '%s' conflicts with '%s'", kind, argv[i],
				      v->word[o->slot]);
		}
		v->seen |= 1u << o->slot;
		v->word[o->slot] = argv[i];
		if (o->type == QA_FLAG) {
			v->num[o->slot] = o->flag;
			continue;
		}
		if (i + 1 >= argc || argv[i + 1] == NULL)
			return sched_err(err, errlen, "%s: '%s' needs a value", kind, o->name);
		i++;
		if (o->type == QA_STR) {
			v->str[o->slot] = argv[i];
			continue;
		}
		rc = qa_value(kind, o, argv[i], &v->num[o->slot], err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static bool
qa_has(const struct qa_vals *v, unsigned slot)
{
	return (v->seen & (1u << slot)) != 0;
}

static int
qa_fq_codel(int argc, char **argv, struct qdisc_conf *c, char *err, size_t errlen)
{
	struct fq_codel_params *p = &c->fq_codel;
	struct qa_vals v = {0};
	int rc;

	rc = qa_opts("fq_codel", fq_codel_opts, argc, argv, 1, &v, err, errlen);
	if (rc != 0)
		return rc;
	if (qa_has(&v, FQ_LIMIT))
		p->limit = (uint32_t)v.num[FQ_LIMIT];
	if (qa_has(&v, FQ_FLOWS))
		p->flows = (uint32_t)v.num[FQ_FLOWS];
	if (qa_has(&v, FQ_QUANTUM))
		p->quantum = (uint32_t)v.num[FQ_QUANTUM];
	if (qa_has(&v, FQ_TARGET))
		p->target_ns = v.num[FQ_TARGET];
	if (qa_has(&v, FQ_INTERVAL))
		p->interval_ns = v.num[FQ_INTERVAL];
	if (qa_has(&v, FQ_ECN))
		p->ecn = v.num[FQ_ECN] != 0;
	if (qa_has(&v, FQ_MEMLIMIT))
		p->memory_limit = (uint32_t)v.num[FQ_MEMLIMIT];
	if (qa_has(&v, FQ_BATCH))
		p->drop_batch = (uint32_t)v.num[FQ_BATCH];
	return 0;
}

static int
qa_shaper(int argc, char **argv, struct qdisc_conf *c, char *err, size_t errlen)
{
	struct qa_vals v = {0};
	int rc;

	if (argc == 2 && argv[1] != NULL && strcmp(argv[1], "off") == 0) {
		/* No shaper: rate 0 (the scheduler underneath stays). */
		c->shaper.rate_bps = 0;
		c->shaper.burst_bytes = 0;
		return 0;
	}
	rc = qa_opts("shaper", shaper_opts, argc, argv, 1, &v, err, errlen);
	if (rc != 0)
		return rc;
	if (!qa_has(&v, SH_RATE))
		return sched_err(err, errlen, "shaper: missing 'rate RATE' (e.g. rate 10mbit)");
	if (!qa_has(&v, SH_BURST))
		return sched_err(err, errlen, "shaper: missing 'burst BYTES' (e.g. burst 32kb)");
	c->shaper.rate_bps = v.num[SH_RATE];
	c->shaper.burst_bytes = v.num[SH_BURST];
	return 0;
}

static int
qa_bands(int argc, char **argv, struct qdisc_conf *c, char *err, size_t errlen)
{
	static const struct qa_opt count = {"bands", QA_UINT, 0, 0, 1, PRIO_BANDS_MAX};
	struct qa_vals v = {0};
	char map_err[192];
	uint64_t n;
	int rc;

	if (argc < 2 || argv[1] == NULL)
		return sched_err(err, errlen, "bands: missing band count N (1..%u)", PRIO_BANDS_MAX);
	rc = qa_value("bands", &count, argv[1], &n, err, errlen);
	if (rc != 0)
		return rc;
	prio_map_default(&c->bands, (unsigned)n);
	rc = qa_opts("bands", bands_opts, argc, argv, 2, &v, err, errlen);
	if (rc != 0)
		return rc;
	if (qa_has(&v, BANDS_MAP)) {
		if (prio_map_parse(v.str[BANDS_MAP], &c->bands, map_err, sizeof(map_err)) != 0)
			return sched_err(err, errlen, "bands: %s", map_err);
		if (c->bands.bands != n)
			return sched_err(err, errlen, "bands: map '%s' is for %u bands, not %" PRIu64,
				      v.str[BANDS_MAP], c->bands.bands, n);
	}
	return 0;
}

static int
qa_fifo(int argc, char **argv, struct qdisc_conf *c, char *err, size_t errlen)
{
	struct qa_vals v = {0};
	int rc;

	rc = qa_opts("fifo", fifo_opts, argc, argv, 1, &v, err, errlen);
	if (rc != 0)
		return rc;
	if (qa_has(&v, FIFO_LIMIT))
		c->fifo.limit = (uint32_t)v.num[FIFO_LIMIT];
	return 0;
}

const char *
qdisc_kind_name(enum qdisc_kind kind)
{
	switch (kind) {
	case QDISC_KIND_FQ_CODEL:
		return "fq_codel";
	case QDISC_KIND_SHAPER:
		return "shaper";
	case QDISC_KIND_BANDS:
		return "bands";
	case QDISC_KIND_FIFO:
		return "fifo";
	default:
		return "none";
	}
}

int
qdisc_args_parse(int argc, char **argv, struct qdisc_conf *conf, char *err, size_t errlen)
{
	struct qdisc_conf tmp;
	int rc;

	if (conf == NULL || argc < 0 || (argc > 0 && argv == NULL))
		return sched_err(err, errlen, "qdisc: invalid arguments");
	if (argc == 0 || argv[0] == NULL)
		return sched_err(err, errlen, "missing qdisc kind (expected " QA_KINDS ")");

	/* Work on a copy so *conf stays as it was on any error. */
	tmp = (struct qdisc_conf){0};
	fq_codel_params_default(&tmp.fq_codel);
	tmp.fq_codel.ops = conf->fq_codel.ops;
	prio_map_default(&tmp.bands, 3);
	tmp.fifo.limit = QDISC_FIFO_DEFAULT_LIMIT;

	if (strcmp(argv[0], "fq_codel") == 0) {
		tmp.kind = QDISC_KIND_FQ_CODEL;
		rc = qa_fq_codel(argc, argv, &tmp, err, errlen);
	} else if (strcmp(argv[0], "shaper") == 0) {
		tmp.kind = QDISC_KIND_SHAPER;
		rc = qa_shaper(argc, argv, &tmp, err, errlen);
	} else if (strcmp(argv[0], "bands") == 0) {
		tmp.kind = QDISC_KIND_BANDS;
		rc = qa_bands(argc, argv, &tmp, err, errlen);
	} else if (strcmp(argv[0], "fifo") == 0) {
		tmp.kind = QDISC_KIND_FIFO;
		rc = qa_fifo(argc, argv, &tmp, err, errlen);
	} else {
		rc = sched_err(err, errlen, "unknown qdisc '%s' (expected " QA_KINDS ")", argv[0]);
	}
	if (rc == 0)
		*conf = tmp;
	return rc;
}
