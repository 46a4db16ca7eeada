// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluiced.c: the control daemon's main: read the configuration, open the
 * store, start the REST API on one libevent loop and run until SIGTERM or
 * SIGINT. Everything (HTTP, timers, signals, the datapath socket through
 * dpsync.c) runs on that one loop, without threads or locks.
 *
 *   sluiced [-c FILE] [-o section.key=value]... [-t]
 *
 * -t checks the configuration and exits (0 good, 2 bad).
 * Exit status: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "compiler_lb.h"
#include "conf.h"
#include "ctl.h"
#include "dpsync.h"
#include "netdrv.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "lb_driver.h"
#include "lbaas.h"
#include "vpn_api.h"
#include "vpn_dp.h"
#include "vpn_driver.h"
#include "vpn_ike_dp.h"

#define SLUICED_PEM_MAX (256 * 1024)

static void
sluiced_usage(void)
{
	fprintf(stderr, "usage: sluiced [-c FILE] [-o section.key=value]... "
			"[-t]\n");
}

/* Read a whole (small) file; caller frees. NULL on error (logged). */
static char *
sluiced_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (f == NULL) {
		log_error("main", "open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(SLUICED_PEM_MAX + 1);
	if (buf != NULL) {
		n = fread(buf, 1, SLUICED_PEM_MAX + 1, f);
		if (n > SLUICED_PEM_MAX || ferror(f)) {
			log_error("main",
				  "read %s: error or larger than %d "
				  "bytes",
				  path, SLUICED_PEM_MAX);
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* Traffic caught by a held connection's trap (DPD hold). */
static void
sluiced_vpn_trap(void *arg, uint32_t in_port, const uint8_t *frame, size_t len)
{
	(void)in_port;
	(void)vpn_driver_acquire(arg, frame, len);
}

/* Child SAs changed: the tunnels' flow rules (docs/vpnaas.md). */
static void
sluiced_vpn_tunnels(void *arg, const struct compiler_vpn_tunnel *t, size_t n)
{
	int rc = netdrv_vpn_set(dpsync_netdrv(arg), t, n);

	if (rc < 0 && rc != -ENOTCONN)
		log_warn("main", "vpn: tunnel rules not applied: %s",
			 strerror(-rc));
}

/* Load balancers with pools in the datapath: their VIP rules
 * (docs/lbaas.md, "Flow rules"). Network and MAC: the VIP port's. */
static void
sluiced_lb_vips(void *arg, const struct lb_driver_vip *v, size_t n)
{
	struct compiler_lb *lbs = n > 0 ? calloc(n, sizeof(*lbs)) : NULL;
	int rc;

	if (n > 0 && lbs == NULL) {
		log_warn("main", "lb: VIP rules not applied: out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(lbs[i].vip_port_id, sizeof(lbs[i].vip_port_id), "%s",
			 v[i].vip_port_id);
		lbs[i].family = v[i].family;
		memcpy(lbs[i].vip, v[i].vip, sizeof(lbs[i].vip));
		unsigned nl = v[i].n_listeners;

		if (nl > COMPILER_LB_LISTENERS_MAX)
			nl = COMPILER_LB_LISTENERS_MAX;
		for (unsigned j = 0; j < nl; j++) {
			lbs[i].listeners[j].proto = v[i].l[j].proto;
			lbs[i].listeners[j].port = v[i].l[j].port;
			lbs[i].listeners[j].pool = v[i].l[j].dp_pool;
			lbs[i].listeners[j].is_restricted =
				v[i].l[j].is_restricted;
			for (unsigned k = 0;
			     k < v[i].l[j].n_cidrs && k < COMPILER_LB_CIDRS_MAX;
			     k++) {
				/* addr[16] both: IPv4 or IPv6. */
				memcpy(lbs[i].listeners[j].cidrs[k].addr,
				       v[i].l[j].cidrs[k].addr, 16);
				lbs[i].listeners[j].cidrs[k].len =
					v[i].l[j].cidrs[k].len;
				lbs[i].listeners[j].n_cidrs = k + 1;
			}
		}
		lbs[i].n_listeners = nl;
	}
	rc = netdrv_lb_set(dpsync_netdrv(arg), lbs, n);
	if (rc < 0 && rc != -ENOTCONN)
		log_warn("main", "lb: VIP rules not applied: %s",
			 strerror(-rc));
	free(lbs);
}

static void
sluiced_on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("main", "signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL;
	struct event *ev_term = NULL, *ev_int = NULL;
	struct event_base *base = NULL;
	struct http_config hc = {0};
	struct api_config ac = {0};
	struct store *st = NULL;
	struct ctl *ctl = NULL;
	struct vpn_api *vpn = NULL;
	struct lbaas *lbaas = NULL;
	struct lb_driver *lbd = NULL;
	struct vpn_driver *vpnd = NULL;
	struct vpn_dp *vpn_esp = NULL;
	struct vpn_ike_dp *vpn_ike = NULL;
	struct vpn_driver_config vdc = {0};
	struct dpsync *dps = NULL;
	struct dpsync_config dc = {0};
	struct api *api = NULL;
	struct http *http = NULL;
	char *cert = NULL, *key = NULL;
	char self_url[160];
	bool check_only = false;
	struct conf *cf;
	int opt, rc = 1;
	int n_over = 0;
	char **over;

	cf = malloc(sizeof(*cf));
	over = calloc((size_t)argc + 1, sizeof(*over));
	if (cf == NULL || over == NULL) {
		fprintf(stderr, "sluiced: out of memory\n");
		return 1;
	}
	conf_defaults(cf);
	while ((opt = getopt(argc, argv, "c:o:th")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'o':
			over[n_over++] = optarg;
			break;
		case 't':
			check_only = true;
			break;
		default:
			sluiced_usage();
			rc = 2;
			goto out_conf;
		}
	}
	if (optind != argc) {
		sluiced_usage();
		rc = 2;
		goto out_conf;
	}
	if (conf_path != NULL) {
		if (conf_load(conf_path, cf) != 0) {
			rc = 2;
			goto out_conf;
		}
	} else if (access(CONF_PATH_DEFAULT, F_OK) == 0) {
		conf_path = CONF_PATH_DEFAULT;
		if (conf_load(conf_path, cf) != 0) {
			rc = 2;
			goto out_conf;
		}
	} else {
		conf_path = "(defaults)";
	}
	for (opt = 0; opt < n_over; opt++) {
		if (conf_override(cf, over[opt]) != 0) {
			rc = 2;
			goto out_conf;
		}
	}
	if (conf_check(cf, conf_path) != 0) {
		rc = 2;
		goto out_conf;
	}
	if (check_only) {
		printf("%s: configuration OK\n", conf_path);
		rc = 0;
		goto out_conf;
	}
	log_init(cf->log_level, cf->use_syslog);
	signal(SIGPIPE, SIG_IGN);

	if (cf->tls_cert[0] != '\0') {
		cert = sluiced_slurp(cf->tls_cert);
		key = sluiced_slurp(cf->tls_key);
		if (cert == NULL || key == NULL)
			goto out_tls;
	}
	if (store_open(cf->db_path, &st) != 0) {
		log_error("main", "cannot open the store %s", cf->db_path);
		goto out_tls;
	}
	if (ctl_create(st, &ctl) != 0)
		goto out_store;
	if (vpn_api_create(ctl, &vpn) != 0)
		goto out_ctl;
	if (lbaas_create(ctl, &lbaas) != 0)
		goto out_ctl;
	snprintf(self_url, sizeof(self_url), "%s://%s",
		 cert != NULL ? "https" : "http", cf->listen);
	ac.auth = cf->auth;
	ac.admin_token = cf->admin_token;
	ac.tokens = cf->tokens;
	ac.n_tokens = cf->n_tokens;
	ac.default_project = cf->default_project;
	ac.self_url = self_url;
	ac.vpn = vpn;
	ac.lbaas = lbaas;
	if (api_create(ctl, &ac, &api) != 0)
		goto out_ctl;
	base = event_base_new();
	if (base == NULL)
		goto out_api;
	hc.listen = cf->listen;
	hc.tls_cert_pem = cert;
	hc.tls_key_pem = key;
	hc.max_connections = cf->max_connections;
	if (http_create(base, &hc, api_handle, api, &http) != 0)
		goto out_base;
	dc.dp_socket = cf->dp_socket;
	dc.kernel_port_type = cf->dp_port_type;
	dc.vhost_dir = cf->vhost_dir;
	dc.neigh.reachable_ms = cf->neigh_reachable_ms;
	dc.neigh.retrans_ms = cf->neigh_retrans_ms;
	dc.neigh.n_probes = cf->neigh_probes;
	dc.ra_interval_ms = cf->ra_interval_ms;
	if (dpsync_create(base, ctl, &dc, &dps) != 0)
		goto out_http;
	vdc.ike_port = cf->vpn_ike_port;
	vdc.natt_port = cf->vpn_natt_port;
	if (cf->vpn_esp_dp) {
		if (vpn_dp_create(cf->dp_socket, &vpn_esp) != 0)
			goto out_dpsync;
		vdc.sa_install = vpn_dp_sa_install;
		vdc.sa_remove = vpn_dp_sa_remove;
		vdc.hold = vpn_dp_hold;
		vdc.sa_arg = vpn_esp;
		vpn_dp_set_observer(vpn_esp, sluiced_vpn_tunnels, dps);
	}
	if (cf->vpn_ike_dp) {
		if (vpn_ike_dp_create(dpsync_netdrv(dps), &vpn_ike) != 0)
			goto out_dpsync;
		vdc.ike_send = vpn_ike_dp_send;
		vdc.ike_arg = vpn_ike;
	}
	if (vpn_driver_create(base, st, &vdc, &vpnd) != 0)
		goto out_dpsync;
	vpn_api_set_observer(vpn, vpn_driver_changed, vpnd);
	netdrv_vpn_trap_observe(dpsync_netdrv(dps), sluiced_vpn_trap, vpnd);
	if (vpn_esp != NULL) /* sequence and lifetime events -> rekey */
		(void)vpn_dp_watch_events(vpn_esp, base, vpn_driver_sa_event,
					  vpnd);
	if (vpn_ike != NULL)
		(void)vpn_ike_dp_start(vpn_ike, vpnd);
	if (vpn_driver_watch_routers(vpnd, ctl) != 0)
		log_warn("main", "vpn: router changes will not reconfigure "
				 "IPsec connections (too many observers)");
	lbaas_set_probe_netns(lbaas, cf->lb_probe_netns);
	if (lbaas_health_start(lbaas, base) != 0)
		goto out_dpsync;
	if (lb_driver_create(lbaas, base, cf->dp_socket, NULL, &lbd) != 0)
		goto out_dpsync;
	lb_driver_set_vip_fn(lbd, sluiced_lb_vips, dps);
	ev_term = evsignal_new(base, SIGTERM, sluiced_on_signal, base);
	ev_int = evsignal_new(base, SIGINT, sluiced_on_signal, base);
	if (ev_term == NULL || ev_int == NULL ||
	    event_add(ev_term, NULL) != 0 || event_add(ev_int, NULL) != 0)
		goto out_dpsync;
	log_info("main",
		 "serving the Neutron API on %s://%s (port %u, auth "
		 "%s, store %s)",
		 cert != NULL ? "https" : "http", cf->listen, http_port(http),
		 cf->auth == API_AUTH_NONE ? "none" : "token", cf->db_path);
	if (event_base_dispatch(base) < 0)
		log_error("main", "event loop failed");
	else
		rc = 0;
	log_info("main",
		 "stopped (%lu requests answered with 4xx, %lu "
		 "malformed HTTP requests refused)",
		 api_client_errors(api), http_rejected(http));

out_dpsync:
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	lb_driver_destroy(lbd);
	vpn_api_set_observer(vpn, NULL, NULL);
	vpn_driver_destroy(vpnd);
	vpn_ike_dp_destroy(vpn_ike);
	vpn_dp_destroy(vpn_esp);
	dpsync_destroy(dps);
out_http:
	http_destroy(http);
out_base:
	/* The health monitors' events go before their base. */
	lbaas_destroy(lbaas);
	lbaas = NULL;
	event_base_free(base);
out_api:
	api_destroy(api);
out_ctl:
	lbaas_destroy(lbaas);
	vpn_api_destroy(vpn);
	ctl_destroy(ctl);
out_store:
	store_close(st);
out_tls:
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(cert);
out_conf:
	if (cf != NULL) {
		explicit_bzero(cf, sizeof(*cf));
		free(cf);
	}
	free(over);
	return rc;
}
