/* SPDX-License-Identifier: BSD-3-Clause */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INI_MAX_LINE 1024
#define INI_MAX_FILE (1u << 20)

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A comment starts at '#' or ';' that opens the line or follows a blank. */
static void
strip_comment(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if ((*p == '#' || *p == ';') && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static int
valid_ident(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static int
add_section(struct ini_file *f, const char *name, const char *arg, unsigned int line)
{
	struct ini_section *s = realloc(f->sections, (f->n_sections + 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	f->sections = s;
	s = &f->sections[f->n_sections];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->arg = arg != NULL ? strdup(arg) : NULL;
	s->line = line;
	f->n_sections++;
	if (s->name == NULL || (arg != NULL && s->arg == NULL))
		return -1;
	return 0;
}

static int
add_entry(struct ini_section *s, const char *key, const char *value, unsigned int line)
{
	struct ini_entry *e = realloc(s->entries, (s->n_entries + 1) * sizeof(*e));
	if (e == NULL)
		return -1;
	s->entries = e;
	e = &s->entries[s->n_entries++];
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	if (e->key == NULL || e->value == NULL)
		return -1;
	return 0;
}

static int
parse_section_header(struct ini_file *f, char *p, unsigned int line, char *err, size_t errlen)
{
	char *end = strchr(p, ']');
	if (end == NULL || trim(end + 1)[0] != '\0') {
		snprintf(err, errlen, "%s:%u: malformed section header", f->path, line);
		return -1;
	}
	*end = '\0';
	char *name = trim(p + 1);
	char *arg = NULL;
	char *sp = name;
	while (*sp != '\0' && !isspace((unsigned char)*sp))
		sp++;
	if (*sp != '\0') {
		*sp = '\0';
		arg = trim(sp + 1);
	}
	if (!valid_ident(name) || (arg != NULL && !valid_ident(arg))) {
		snprintf(err, errlen, "%s:%u: bad section name", f->path, line);
		return -1;
	}
	if (add_section(f, name, arg, line) < 0) {
		snprintf(err, errlen, "%s:%u: out of memory", f->path, line);
		return -1;
	}
	return 0;
}

static int
parse_line(struct ini_file *f, char *raw, unsigned int line, char *err, size_t errlen)
{
	strip_comment(raw);
	char *p = trim(raw);
	if (*p == '\0')
		return 0;
	if (*p == '[')
		return parse_section_header(f, p, line, err, errlen);

	char *eq = strchr(p, '=');
	if (eq == NULL) {
		snprintf(err, errlen, "%s:%u: expected 'key = value'", f->path, line);
		return -1;
	}
	*eq = '\0';
	char *key = trim(p);
	char *value = trim(eq + 1);
	if (!valid_ident(key)) {
		snprintf(err, errlen, "%s:%u: bad key '%s'", f->path, line, key);
		return -1;
	}
	if (f->n_sections == 0) {
		snprintf(err, errlen, "%s:%u: key '%s' outside any section", f->path, line, key);
		return -1;
	}
	if (add_entry(&f->sections[f->n_sections - 1], key, value, line) < 0) {
		snprintf(err, errlen, "%s:%u: out of memory", f->path, line);
		return -1;
	}
	return 0;
}

int
ini_parse(const char *name, const char *text, struct ini_file **out, char *err, size_t errlen)
{
	*out = NULL;
	struct ini_file *f = calloc(1, sizeof(*f));
	if (f == NULL || (f->path = strdup(name)) == NULL) {
		free(f);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}

	unsigned int line = 0;
	const char *p = text;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		line++;
		if (len >= INI_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line too long (max %d)", name, line,
				 INI_MAX_LINE - 1);
			goto fail;
		}
		char buf[INI_MAX_LINE];
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (memchr(buf, '\0', len) != NULL || strlen(buf) != len) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", name, line);
			goto fail;
		}
		if (parse_line(f, buf, line, err, errlen) < 0)
			goto fail;
		p += len;
		if (*p == '\n')
			p++;
	}
	*out = f;
	return 0;
fail:
	ini_free(f);
	return -1;
}

int
ini_load(const char *path, struct ini_file **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *text = malloc(INI_MAX_FILE + 1);
	if (text == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s:0: out of memory", path);
		return -1;
	}
	size_t n = fread(text, 1, INI_MAX_FILE + 1, fp);
	int rd_err = ferror(fp);
	fclose(fp);
	if (rd_err) {
		free(text);
		snprintf(err, errlen, "%s:0: read error", path);
		return -1;
	}
	if (n > INI_MAX_FILE) {
		free(text);
		snprintf(err, errlen, "%s:0: file larger than %u bytes", path, INI_MAX_FILE);
		return -1;
	}
	if (memchr(text, '\0', n) != NULL) {
		size_t off = (size_t)((char *)memchr(text, '\0', n) - text);
		unsigned int line = 1;
		for (size_t i = 0; i < off; i++)
			line += text[i] == '\n';
		free(text);
		snprintf(err, errlen, "%s:%u: NUL byte in line", path, line);
		return -1;
	}
	text[n] = '\0';
	int rc = ini_parse(path, text, out, err, errlen);
	free(text);
	return rc;
}

void
ini_free(struct ini_file *f)
{
	if (f == NULL)
		return;
	for (unsigned int i = 0; i < f->n_sections; i++) {
		struct ini_section *s = &f->sections[i];
		for (unsigned int j = 0; j < s->n_entries; j++) {
			free(s->entries[j].key);
			free(s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
		free(s->arg);
	}
	free(f->sections);
	free(f->path);
	free(f);
}
