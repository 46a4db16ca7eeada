// SPDX-License-Identifier: BSD-2-Clause
/*
 * conf.c: strict INI parser for sluiced's configuration (see conf.h and
 * configs/sluice.conf, which documents every key).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dp_proto.h"

#define CONF_LINE_MAX 1024

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:9696");
	c->max_connections = 256;
	c->auth = API_AUTH_NONE;
	snprintf(c->default_project, sizeof(c->default_project), "admin");
	snprintf(c->db_path, sizeof(c->db_path), "/var/lib/sluice/sluice.db");
	snprintf(c->dp_socket, sizeof(c->dp_socket), "/run/sluice/dp.sock");
	snprintf(c->vhost_dir, sizeof(c->vhost_dir), "/run/sluice/vhost");
	c->log_level = LOG_LEVEL_INFO;
	c->use_syslog = false;
	c->vpn_ike_port = 500;
	c->vpn_natt_port = 4500;
	c->vpn_esp_dp = true;
	c->lb_probe_netns = true;
}

/* Copy value into a fixed buffer; false if it does not fit or is empty. */
static bool
conf_copy(char *dst, size_t len, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= len)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

/* A setting of two words: *out = false for word0, true for word1; else
 * the error err. */
static const char *
conf_pick(const char *val, const char *word0, const char *word1, bool *out,
	  const char *err)
{
	if (strcmp(val, word0) == 0)
		*out = false;
	else if (strcmp(val, word1) == 0)
		*out = true;
	else
		return err;
	return NULL;
}

static bool
conf_is_token(const char *s)
{
	size_t n = strlen(s);

	if (n < 8 || n > API_TOKEN_MAX)
		return false;
	for (; *s != '\0'; s++) {
		if (!isgraph((unsigned char)*s))
			return false;
	}
	return true;
}

static bool
conf_is_project(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CTL_PROJECT_MAX)
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	}
	return true;
}

/*
 * Set one key. *seen tracks single-valued keys already set (bit per key)
 * to reject repeats. Returns NULL or a static reason.
 */
static const char *
conf_set(struct conf *c, const char *sec, const char *key, const char *val,
	 unsigned long *seen)
{
	static const char *const keys[] = {
		"api.listen",
		"api.tls_cert",
		"api.tls_key",
		"api.max_connections",
		"auth.mode",
		"auth.admin_token",
		"auth.default_project",
		"auth.project_token",
		"store.path",
		"datapath.socket",
		"log.level",
		"log.target",
		"datapath.port_type",
		"datapath.vhost_dir",
		"vpn.ike_port",
		"vpn.natt_port",
		"vpn.esp",
		"vpn.ike",
		"lbaas.probe_netns",
		"datapath.neigh_reachable_ms",
		"datapath.neigh_retrans_ms",
		"datapath.neigh_probes",
		"datapath.ra_interval_ms",
		NULL,
	};
	char full[96];
	unsigned i;

	snprintf(full, sizeof(full), "%s.%s", sec, key);
	for (i = 0; keys[i] != NULL; i++) {
		if (strcmp(keys[i], full) == 0)
			break;
	}
	if (keys[i] == NULL)
		return "unknown key";
	if (strcmp(full, "auth.project_token") != 0) {
		if (seen != NULL && (*seen & (1ul << i)))
			return "key given twice";
		if (seen != NULL)
			*seen |= 1ul << i;
	}
	switch (i) {
	case 0:
		return conf_copy(c->listen, sizeof(c->listen), val)
			       ? NULL
			       : "expected ADDR:PORT";
	case 1:
		return conf_copy(c->tls_cert, sizeof(c->tls_cert), val)
			       ? NULL
			       : "expected a file path";
	case 2:
		return conf_copy(c->tls_key, sizeof(c->tls_key), val)
			       ? NULL
			       : "expected a file path";
	case 3: {
		char *end;
		unsigned long v = strtoul(val, &end, 10);

		if (*val == '\0' || *end != '\0' || v < 1 || v > 65536)
			return "expected a number 1..65536";
		c->max_connections = (unsigned)v;
		return NULL;
	}
	case 4:
		if (strcmp(val, "none") == 0)
			c->auth = API_AUTH_NONE;
		else if (strcmp(val, "token") == 0)
			c->auth = API_AUTH_TOKEN;
		else
			return "expected none or token";
		return NULL;
	case 5:
		if (!conf_is_token(val))
			return "expected 8..128 printable characters";
		snprintf(c->admin_token, sizeof(c->admin_token), "%s", val);
		return NULL;
	case 6:
		if (!conf_is_project(val))
			return "expected a project id ([A-Za-z0-9._-], 1..64)";
		snprintf(c->default_project, sizeof(c->default_project), "%s",
			 val);
		return NULL;
	case 7: {
		const char *colon = strchr(val, ':');
		struct api_token *t;
		char proj[CTL_PROJECT_MAX + 1];
		size_t j;

		if (colon == NULL || (size_t)(colon - val) > CTL_PROJECT_MAX)
			return "expected PROJECT:TOKEN";
		memcpy(proj, val, (size_t)(colon - val));
		proj[colon - val] = '\0';
		if (!conf_is_project(proj) || !conf_is_token(colon + 1))
			return "expected PROJECT:TOKEN (token 8..128 "
			       "printable characters)";
		if (c->n_tokens >= CONF_TOKENS_MAX)
			return "too many project tokens (64)";
		for (j = 0; j < c->n_tokens; j++) {
			if (strcmp(c->tokens[j].token, colon + 1) == 0)
				return "token given twice";
		}
		t = &c->tokens[c->n_tokens++];
		snprintf(t->project_id, sizeof(t->project_id), "%s", proj);
		snprintf(t->token, sizeof(t->token), "%s", colon + 1);
		return NULL;
	}
	case 8:
		return conf_copy(c->db_path, sizeof(c->db_path), val)
			       ? NULL
			       : "expected a file path";
	case 9:
		return conf_copy(c->dp_socket, sizeof(c->dp_socket), val)
			       ? NULL
			       : "expected a socket path (< 108 bytes)";
	case 10:
		return log_level_parse(val, &c->log_level) == 0
			       ? NULL
			       : "expected error, warn, info or debug";
	case 12:
		if (strcmp(val, "af_packet") == 0)
			c->dp_port_type = DP_PORT_AF_PACKET;
		else if (strcmp(val, "af_xdp") == 0)
			c->dp_port_type = DP_PORT_AF_XDP;
		else if (strcmp(val, "vnet") == 0)
			c->dp_port_type = DP_PORT_VNET;
		else
			return "expected af_packet, af_xdp or vnet";
		return NULL;
	case 13:
		return conf_copy(c->vhost_dir, sizeof(c->vhost_dir), val)
			       ? NULL
			       : "expected a directory (< 128 bytes)";
	case 14:
	case 15: {
		char *end;
		unsigned long v = strtoul(val, &end, 10);

		if (*val == '\0' || *end != '\0' || v > 65535)
			return "expected a UDP port 0..65535 (0: no IKE)";
		*(i == 14 ? &c->vpn_ike_port : &c->vpn_natt_port) = (uint16_t)v;
		return NULL;
	}
	case 16:
		return conf_pick(val, "none", "datapath", &c->vpn_esp_dp,
				 "expected datapath or none");
	case 17:
		return conf_pick(val, "socket", "datapath", &c->vpn_ike_dp,
				 "expected socket or datapath");
	case 18:
		return conf_pick(val, "off", "on", &c->lb_probe_netns,
				 "expected on or off");
	case 19:
	case 20:
	case 21:
	case 22: {
		/* Next-hop aging and router advertisements (netdrv.h). */
		static const unsigned long lo[] = {100, 100, 1, 1000};
		static const unsigned long hi[] = {3600000, 60000, 10, 1800000};
		static const char *const what[] = {
			"expected milliseconds 100..3600000",
			"expected milliseconds 100..60000",
			"expected a count 1..10",
			"expected milliseconds 1000..1800000",
		};
		unsigned *dst[] = {&c->neigh_reachable_ms, &c->neigh_retrans_ms,
				   &c->neigh_probes, &c->ra_interval_ms};
		char *end;
		unsigned long v = strtoul(val, &end, 10);

		if (*val == '\0' || *end != '\0' || v < lo[i - 19] ||
		    v > hi[i - 19])
			return what[i - 19];
		*dst[i - 19] = (unsigned)v;
		return NULL;
	}
	case 11:
	default:
		return conf_pick(val, "stderr", "syslog", &c->use_syslog,
				 "expected stderr or syslog");
	}
}

/* Trim ASCII whitespace at both ends, in place. */
static char *
conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
conf_load(const char *path, struct conf *c)
{
	static const char *const sections[] = {"api",	   "auth", "store",
					       "datapath", "log",  "vpn",
					       "lbaas",	   NULL};
	char line[CONF_LINE_MAX + 2];
	char sec[32] = "";
	unsigned long seen = 0;
	bool skip = false;
	unsigned lineno = 0;
	int rc = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "sluiced: %s: %s\n", path, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EINVAL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *val;
		const char *why;
		unsigned i;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "%s:%u: line longer than %d bytes\n",
				path, lineno, CONF_LINE_MAX);
			rc = -EINVAL;
			break;
		}
		s = conf_trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *rb = strchr(s, ']');

			if (rb == NULL || rb[1] != '\0' ||
			    (size_t)(rb - s - 1) >= sizeof(sec)) {
				fprintf(stderr, "%s:%u: bad section line\n",
					path, lineno);
				rc = -EINVAL;
				break;
			}
			*rb = '\0';
			snprintf(sec, sizeof(sec), "%s", s + 1);
			skip = strcmp(sec, "sluice-dp") == 0;
			for (i = 0; sections[i] != NULL && !skip; i++) {
				if (strcmp(sections[i], sec) == 0)
					break;
			}
			if (!skip && sections[i] == NULL) {
				fprintf(stderr,
					"%s:%u: [%s]: unknown section\n", path,
					lineno, sec);
				rc = -EINVAL;
				break;
			}
			continue;
		}
		if (skip)
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(stderr, "%s:%u: expected key = value\n", path,
				lineno);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		key = conf_trim(s);
		val = conf_trim(eq + 1);
		if (sec[0] == '\0') {
			fprintf(stderr, "%s:%u: %s: key outside a section\n",
				path, lineno, key);
			rc = -EINVAL;
			break;
		}
		why = conf_set(c, sec, key, val, &seen);
		if (why != NULL) {
			fprintf(stderr, "%s:%u: [%s] %s: %s\n", path, lineno,
				sec, key, why);
			rc = -EINVAL;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		rc = -EINVAL;
	}
	fclose(f);
	return rc;
}

int
conf_override(struct conf *c, const char *arg)
{
	char buf[CONF_LINE_MAX];
	char *dot, *eq;
	const char *why;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "sluiced: -o %.40s...: too long\n", arg);
		return -EINVAL;
	}
	strcpy(buf, arg);
	dot = strchr(buf, '.');
	eq = strchr(buf, '=');
	if (dot == NULL || eq == NULL || dot > eq) {
		fprintf(stderr, "sluiced: -o %s: expected section.key=value\n",
			arg);
		return -EINVAL;
	}
	*dot = '\0';
	*eq = '\0';
	why = conf_set(c, buf, dot + 1, eq + 1, NULL);
	if (why != NULL) {
		fprintf(stderr, "sluiced: -o %s.%s: %s\n", buf, dot + 1, why);
		return -EINVAL;
	}
	return 0;
}

int
conf_check(const struct conf *c, const char *path)
{
	if (c->auth == API_AUTH_TOKEN && c->admin_token[0] == '\0') {
		fprintf(stderr,
			"%s: [auth] admin_token: required with mode = "
			"token\n",
			path);
		return -EINVAL;
	}
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
		fprintf(stderr, "%s: [api] tls_cert and tls_key go together\n",
			path);
		return -EINVAL;
	}
	return 0;
}
