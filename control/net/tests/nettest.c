/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nettest.c: a small stand-in for sluiced's datapath side, for the
 * namespace test (netns_tenants.sh) and for trying control/net by hand.
 * It runs the driver sluiced uses (netdrv.h) on a libevent loop: it
 * connects to sluice-dp, binds the ports named on the command line to their
 * host interfaces, compiles the topology, reconciles the datapath to it,
 * answers DHCP packet-ins, and reconnects and reprograms a restarted
 * sluice-dp by itself, until SIGTERM.
 *
 *   ctlnet_nettest --socket PATH [--once] [--ready FILE] [--xdp]
 *                  --net ID:PROJECT:SEGMENT:CIDR:GATEWAY ...
 *                  --port ID:NET:MAC:IP:IFNAME ...
 *
 * The subnet of network ID is "sn-ID". Each full reconcile prints one
 * "reconcile added=A deleted=D same=S" line. --once exits after the first
 * (a restarted controller with unchanged intent must change nothing).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "netdrv.h"

enum { NETS_MAX = 8, PORTS_MAX = 32 };

static struct net_view_network nets[NETS_MAX];
static struct net_view_subnet subnets[NETS_MAX];
static struct net_view_port ports[PORTS_MAX];
static struct net_view view = {nets, 0, subnets, 0, ports, 0};
static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Split s at ':' into at most max fields (s is modified). */
static int
split(char *s, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	for (char *p = s; *p != '\0'; p++) {
		if (*p != ':')
			continue;
		if (n == max)
			return -1;
		*p = '\0';
		f[n++] = p + 1;
	}
	return n;
}

static int
parse_net(char *arg)
{
	struct net_view_network *n = &nets[view.n_networks];
	struct net_view_subnet *s = &subnets[view.n_subnets];
	char *f[5];

	if (view.n_networks == NETS_MAX || split(arg, f, 5) != 5)
		return -EINVAL;
	snprintf(n->id, sizeof(n->id), "%s", f[0]);
	snprintf(n->project_id, sizeof(n->project_id), "%s", f[1]);
	n->segment_id = (uint32_t)strtoul(f[2], NULL, 10);
	n->mtu = 1500;
	n->is_port_security = true;
	n->is_admin_up = true;
	snprintf(s->id, sizeof(s->id), "sn-%s", f[0]);
	snprintf(s->network_id, sizeof(s->network_id), "%s", f[0]);
	if (net_addr_parse(f[3], &s->cidr) < 0 ||
	    net_addr_parse(f[4], &s->gateway) < 0 || n->segment_id == 0)
		return -EINVAL;
	s->is_dhcp = true;
	view.n_networks++;
	view.n_subnets++;
	return 0;
}

static int
parse_port(char *arg)
{
	struct net_view_port *p = &ports[view.n_ports];
	char *f[5];

	/* The MAC has colons too: ID:NET:aa:bb:cc:dd:ee:ff:IP:IFNAME. */
	char *mac, *rest;

	if (view.n_ports == PORTS_MAX)
		return -EINVAL;
	f[0] = arg;
	if ((f[1] = strchr(f[0], ':')) == NULL)
		return -EINVAL;
	*f[1]++ = '\0';
	if ((mac = strchr(f[1], ':')) == NULL)
		return -EINVAL;
	*mac++ = '\0';
	if (strlen(mac) < 18 || mac[17] != ':')
		return -EINVAL;
	mac[17] = '\0';
	rest = mac + 18;
	if (split(rest, f + 2, 2) != 2)
		return -EINVAL;
	snprintf(p->id, sizeof(p->id), "%s", f[0]);
	snprintf(p->network_id, sizeof(p->network_id), "%s", f[1]);
	if (net_mac_parse(mac, p->mac) < 0 ||
	    net_addr_parse(f[2], &p->ips[0].ip) < 0)
		return -EINVAL;
	snprintf(p->ips[0].subnet_id, NET_ID_LEN, "sn-%s", f[1]);
	p->n_ips = 1;
	p->is_admin_up = true;
	p->is_port_security = true;
	p->vif = NET_VIF_KERNEL;
	snprintf(p->host_ifname, sizeof(p->host_ifname), "%s", f[3]);
	view.n_ports++;
	return 0;
}

struct nettest {
	struct event_base *base;
	struct netdrv *drv;
	const char *ready;
	bool is_once;
	uint64_t n_syncs_seen;
	unsigned n_ticks;
};

static int
get_view(void *arg, struct net_view *out)
{
	(void)arg;
	*out = view;
	return 0;
}

static void
on_status(void *arg, const char *port_id, bool is_up)
{
	(void)arg;
	printf("nettest: port %s %s\n", port_id, is_up ? "ACTIVE" : "DOWN");
	fflush(stdout);
}

static void
on_log(void *arg, enum netdrv_log_level level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "netdrv %s: %s\n",
		level == NETDRV_LOG_ERROR  ? "error"
		: level == NETDRV_LOG_WARN ? "warn"
					   : "info",
		msg);
}

/* Report each full reconcile; --once: stop after the first. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct nettest *t = arg;
	struct netdrv_stats st;

	(void)fd;
	(void)what;
	if (stopping) {
		event_base_loopbreak(t->base);
		return;
	}
	netdrv_stats(t->drv, &st);
	if (t->is_once && ++t->n_ticks > 500) {
		fprintf(stderr, "nettest: no datapath in 10 s\n");
		event_base_loopbreak(t->base);
		return;
	}
	if (st.n_syncs == t->n_syncs_seen)
		return;
	t->n_syncs_seen = st.n_syncs;
	printf("nettest: reconcile added=%zu deleted=%zu same=%zu\n",
	       st.last_added, st.last_deleted, st.last_same);
	printf("nettest: programmed in %.1f ms (bind %zu ports, compile, "
	       "dump, diff, apply)\n",
	       st.last_sync_ms, view.n_ports);
	fflush(stdout);
	if (t->is_once) {
		event_base_loopbreak(t->base);
		return;
	}
	if (t->ready != NULL) {
		FILE *f = fopen(t->ready, "w");

		if (f != NULL) {
			fputs("ready\n", f);
			fclose(f);
		}
		t->ready = NULL;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"net", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'},
		{"once", no_argument, NULL, 'o'},
		{"ready", required_argument, NULL, 'r'},
		{"xdp", no_argument, NULL, 'x'},
		{NULL, 0, NULL, 0},
	};
	struct netdrv_config cfg = {
		.dhcp =
			{
				.lease_time = 3600,
				.server_mac = {0x02, 0x5c, 0x00, 0x00, 0x00,
					       0x01},
			},
		.poll_ms = 500,
		.reconnect_ms = 50,
	};
	struct netdrv_ops ops = {
		.view = get_view,
		.port_status = on_status,
		.log = on_log,
	};
	struct nettest t = {0};
	struct timeval tick = {.tv_sec = 0, .tv_usec = 20 * 1000};
	struct netdrv_stats st;
	struct event *ev_tick = NULL;
	int opt, status = 1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			snprintf(cfg.dp_socket, sizeof(cfg.dp_socket), "%s",
				 optarg);
			break;
		case 'n':
			if (parse_net(optarg) < 0) {
				fprintf(stderr, "nettest: bad --net\n");
				return 2;
			}
			break;
		case 'p':
			if (parse_port(optarg) < 0) {
				fprintf(stderr, "nettest: bad --port\n");
				return 2;
			}
			break;
		case 'o':
			t.is_once = true;
			break;
		case 'r':
			t.ready = optarg;
			break;
		case 'x':
			cfg.binder.kernel_type = DP_PORT_AF_XDP;
			break;
		default:
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	t.base = event_base_new();
	if (t.base == NULL)
		return 1;
	if (netdrv_create(t.base, &cfg, &ops, &t.drv) < 0)
		goto free_base;
	ev_tick = event_new(t.base, -1, EV_PERSIST, on_tick, &t);
	if (ev_tick == NULL || event_add(ev_tick, &tick) < 0)
		goto free_drv;
	event_base_dispatch(t.base);
	netdrv_stats(t.drv, &st);
	if (!t.is_once)
		printf("nettest: dhcp replies=%llu connects=%llu boots=%llu\n",
		       (unsigned long long)st.n_dhcp_replies,
		       (unsigned long long)st.n_connects,
		       (unsigned long long)st.n_boots);
	status = st.n_syncs > 0 ? 0 : 1;
free_drv:
	if (ev_tick != NULL)
		event_free(ev_tick);
	netdrv_destroy(t.drv);
free_base:
	event_base_free(t.base);
	return status;
}
