/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf.h: the configuration file of sluiced (configs/sluice.conf, INI:
 * "[section]" lines, "key = value" lines, '#' or ';' comments). Parsing is
 * strict: an unknown section or key, a repeated single-valued key or a bad
 * value is an error naming file:line and the key. The [sluice-dp] section
 * belongs to the datapath daemon and is skipped here.
 *
 * Concurrency: none (startup only).
 */
#ifndef SLUICE_CONF_H
#define SLUICE_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "log.h"

#define CONF_TOKENS_MAX 64
#define CONF_PATH_DEFAULT "/etc/sluice/sluice.conf"

struct conf {
	/* [api] */
	char listen[128];	  /* listen = 127.0.0.1:9696 */
	char tls_cert[PATH_MAX];  /* tls_cert = PEM file, "" = HTTP */
	char tls_key[PATH_MAX];	  /* tls_key = PEM file */
	unsigned max_connections; /* max_connections = 256 */
	/* [auth] */
	enum api_auth_mode auth;		   /* mode = none | token */
	char admin_token[API_TOKEN_MAX + 1];	   /* admin_token = ... */
	char default_project[CTL_PROJECT_MAX + 1]; /* default_project */
	size_t n_tokens; /* project_token = PROJECT:TOKEN */
	struct api_token tokens[CONF_TOKENS_MAX];
	/* [store] */
	char db_path[PATH_MAX]; /* path = /var/lib/sluice/sluice.db */
	/* [datapath] */
	char dp_socket[108]; /* socket = /run/sluice/dp.sock */
	/* port_type = af_packet | af_xdp | vnet: how kernel interfaces
	 * become sluice-dp ports (enum dp_port_type; default af_packet) */
	uint32_t dp_port_type;
	char vhost_dir[128]; /* vhost_dir = /run/sluice/vhost */
	/* Learned next hops' aging and router advertisements (netdrv.h;
	 * 0: the defaults, Linux's 30000 / 1000 / 3 and RFC 4861's). */
	unsigned neigh_reachable_ms; /* neigh_reachable_ms = 30000 */
	unsigned neigh_retrans_ms;   /* neigh_retrans_ms = 1000 */
	unsigned neigh_probes;	     /* neigh_probes = 3 */
	unsigned ra_interval_ms;     /* ra_interval_ms = 200..600 s */
	/* [vpn] */
	uint16_t vpn_ike_port;	/* ike_port = 500 (0: IKE off) */
	uint16_t vpn_natt_port; /* natt_port = 4500 */
	bool vpn_esp_dp;	/* esp = datapath | none (negotiate only) */
	bool vpn_ike_dp;	/* ike = socket | datapath (punted to us) */
	/* [lbaas] */
	bool lb_probe_netns; /* probe_netns = on | off (lbaas.h) */
	/* [log] */
	enum log_level log_level; /* level = info */
	bool use_syslog;	  /* target = stderr | syslog */
};

/* Fill the defaults. */
void conf_defaults(struct conf *c);

/*
 * Read path into c (on top of its current values). Errors are printed to
 * stderr as "path:line: [section] key: reason". 0, -ENOENT (no file),
 * -EINVAL.
 */
int conf_load(const char *path, struct conf *c);

/*
 * Apply one "section.key=value" override (the -o option). Same checks
 * as the file. 0 or -EINVAL (printed).
 */
int conf_override(struct conf *c, const char *arg);

/* Cross-key checks after loading (token mode needs an admin token...). */
int conf_check(const struct conf *c, const char *path);

#endif /* SLUICE_CONF_H */
