/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netdrv_test.c: the driver (netdrv.h) against the real protocol server
 * (dp_ctl.h) and pipeline in a thread, over a Unix socket, with a fake
 * port backend: first connection binds and reconciles, port and network
 * changes touch their rules, a deleted port is unbound, DHCP packet-ins
 * get an OFFER by packet-out, and a new datapath boot (a restarted
 * sluice-dp) is rebound and reprogrammed by itself. Learned next hops
 * age: re-probed, replaced on a new MAC, removed when unanswered.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "compiler.h"
#include "dp_client.h"
#include "dp_ctl.h"
#include "frames.h"
#include "netdrv.h"
#include "pipeline.h"

/* The fake datapath: pipeline + protocol server on a thread. */
struct server {
	struct dp_pipeline *pl;
	struct dp_ctl *ctl;
	struct dp_ctl_backend be;
	pthread_t thread;
	pthread_mutex_t lock; /* guards the fields below */
	int is_stopping;
	struct dp_port_info ports[16];
	unsigned n_ports;
	uint32_t next_no;
	unsigned n_out;
	uint32_t out_port;
	uint8_t out_frame[1024];
	uint32_t out_len;
	int has_inject;
	uint32_t inject_port;
	uint8_t inject[1024];
	uint32_t inject_len;
	uint32_t inject_reason;
};

static int
be_port_add(void *ctx, const struct dp_port_spec *spec,
	    struct dp_port_info *out, char *err, size_t err_len)
{
	struct server *s = ctx;
	struct dp_port_info *pi;

	(void)err;
	(void)err_len;
	pthread_mutex_lock(&s->lock);
	pi = &s->ports[s->n_ports++];
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->name, spec->name, sizeof(pi->name));
	memcpy(pi->args, spec->args, sizeof(pi->args));
	pi->type = spec->type;
	pi->port_no = ++s->next_no;
	pi->is_up = 1;
	*out = *pi;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int
be_port_del(void *ctx, const struct dp_port_ref *ref, char *err, size_t err_len)
{
	struct server *s = ctx;
	int rc = -ENOENT;

	(void)err;
	(void)err_len;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->n_ports; i++) {
		if (s->ports[i].port_no == ref->port_no) {
			s->ports[i] = s->ports[--s->n_ports];
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
be_port_list(void *ctx, struct dp_port_info *out, unsigned max, unsigned *n)
{
	struct server *s = ctx;

	pthread_mutex_lock(&s->lock);
	*n = s->n_ports < max ? s->n_ports : max;
	memcpy(out, s->ports, *n * sizeof(*out));
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int
be_packet_out(void *ctx, const struct dp_packet_msg *msg, const uint8_t *frame,
	      char *err, size_t err_len)
{
	struct server *s = ctx;

	(void)err;
	(void)err_len;
	pthread_mutex_lock(&s->lock);
	s->n_out++;
	s->out_port = msg->port;
	s->out_len = msg->len < sizeof(s->out_frame) ? msg->len
						     : sizeof(s->out_frame);
	memcpy(s->out_frame, frame, s->out_len);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void *
server_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (s->is_stopping) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		if (s->has_inject) {
			dp_ctl_packet_in(s->ctl, s->inject_port,
					 s->inject_reason != 0
						 ? s->inject_reason
						 : COMPILER_PUNT_DHCP,
					 s->inject, s->inject_len);
			s->has_inject = 0;
		}
		pthread_mutex_unlock(&s->lock);
		dp_ctl_poll(s->ctl, 5);
	}
	return NULL;
}

static char sock_path[108];

static struct server *
server_start(uint64_t boot_id)
{
	struct server *s = calloc(1, sizeof(*s));
	struct dp_pipeline_config cfg = {.n_workers = 1};

	assert_non_null(s);
	pthread_mutex_init(&s->lock, NULL);
	assert_int_equal(dp_pipeline_create(&cfg, &s->pl), 0);
	s->be = (struct dp_ctl_backend){
		.port_add = be_port_add,
		.port_del = be_port_del,
		.port_list = be_port_list,
		.packet_out = be_packet_out,
		.ctx = s,
		.n_workers = 1,
		.boot_id = boot_id,
	};
	assert_int_equal(dp_ctl_create(sock_path, s->pl, &s->be, &s->ctl), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
	return s;
}

static void
server_stop(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->is_stopping = 1;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	dp_ctl_destroy(s->ctl);
	dp_pipeline_destroy(s->pl);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The intent, and what the callbacks saw. */
static struct net_view_network nets[2];
static struct net_view_subnet subnets[2];
static struct net_view_port ports[4];
static size_t n_ports;
static struct net_view_router routers[1];
static size_t n_routers;
static unsigned n_bound, n_unbound, n_active;

static const uint8_t mac_a1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa1};
static const uint8_t mac_a2[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa2};
static const uint8_t mac_b1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xb1};

static int
get_view(void *arg, struct net_view *out)
{
	(void)arg;
	*out = (struct net_view){nets, 2, subnets, 2, ports, n_ports};
	out->routers = routers;
	out->n_routers = n_routers;
	return 0;
}

static void
on_bound(void *arg, const char *port_id, const struct binder_vif *vif,
	 const char *err)
{
	(void)arg;
	(void)port_id;
	(void)err;
	if (vif != NULL)
		n_bound++;
	else
		n_unbound++;
}

static void
on_status(void *arg, const char *port_id, bool is_up)
{
	(void)arg;
	(void)port_id;
	if (is_up)
		n_active++;
}

static void
on_log(void *arg, enum netdrv_log_level level, const char *msg)
{
	(void)arg;
	(void)level;
	(void)msg;
}

static void
fill(void)
{
	const char *net_ids[2] = {"net-a", "net-b"};
	struct {
		const char *id, *net, *ip, *ifname;
		const uint8_t *mac;
	} pv[3] = {
		{"a1", "net-a", "10.0.0.11", "veth-a1", mac_a1},
		{"a2", "net-a", "10.0.0.12", "veth-a2", mac_a2},
		{"b1", "net-b", "10.0.0.11", "veth-b1", mac_b1},
	};

	memset(nets, 0, sizeof(nets));
	memset(subnets, 0, sizeof(subnets));
	memset(ports, 0, sizeof(ports));
	for (int i = 0; i < 2; i++) {
		snprintf(nets[i].id, NET_ID_LEN, "%s", net_ids[i]);
		nets[i].segment_id = 100 * (uint32_t)(i + 1);
		nets[i].mtu = 1500;
		nets[i].is_admin_up = true;
		snprintf(subnets[i].id, NET_ID_LEN, "sn-%s", net_ids[i]);
		snprintf(subnets[i].network_id, NET_ID_LEN, "%s", net_ids[i]);
		net_addr_parse("10.0.0.0/24", &subnets[i].cidr);
		net_addr_parse("10.0.0.1", &subnets[i].gateway);
		subnets[i].is_dhcp = true;
	}
	for (int i = 0; i < 3; i++) {
		struct net_view_port *p = &ports[i];

		snprintf(p->id, NET_ID_LEN, "%s", pv[i].id);
		snprintf(p->network_id, NET_ID_LEN, "%s", pv[i].net);
		memcpy(p->mac, pv[i].mac, 6);
		p->is_admin_up = true;
		p->is_port_security = true;
		p->n_ips = 1;
		snprintf(p->ips[0].subnet_id, NET_ID_LEN, "sn-%s", pv[i].net);
		net_addr_parse(pv[i].ip, &p->ips[0].ip);
		p->vif = NET_VIF_KERNEL;
		snprintf(p->host_ifname, NET_IFNAME_LEN, "%s", pv[i].ifname);
	}
	n_ports = 3;
}

/* Run the loop until pred() or about 5 s. */
static bool
run_until(struct event_base *base, bool (*pred)(void *), void *arg)
{
	for (int i = 0; i < 5000; i++) {
		if (pred(arg))
			return true;
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return pred(arg);
}

struct drv_wait {
	struct netdrv *d;
	uint64_t n_syncs;
	struct server *s;
	unsigned n_out;
};

static bool
synced(void *arg)
{
	struct drv_wait *w = arg;
	struct netdrv_stats st;

	netdrv_stats(w->d, &st);
	return st.n_syncs >= w->n_syncs;
}

static bool
all_active(void *arg)
{
	(void)arg;
	return n_active >= 3;
}

static bool
replied(void *arg)
{
	struct drv_wait *w = arg;
	unsigned n;

	pthread_mutex_lock(&w->s->lock);
	n = w->s->n_out;
	pthread_mutex_unlock(&w->s->lock);
	return n >= w->n_out;
}

/* Have the server punt frame f (n bytes) from port with reason. */
static void
inject(struct server *s, const uint8_t *f, size_t n, uint32_t port,
       uint32_t reason)
{
	pthread_mutex_lock(&s->lock);
	memcpy(s->inject, f, n);
	s->inject_len = (uint32_t)n;
	s->inject_port = port;
	s->inject_reason = reason;
	s->has_inject = 1;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Run the loop until the server has sent its n_out-th packet-out, which
 * must go to port from the router MAC src to dst; copy it to frame.
 */
static void
await_reply(struct event_base *base, struct drv_wait *w, unsigned n_out,
	    uint32_t port, const uint8_t dst[6], const uint8_t src[6],
	    uint8_t frame[FRAME_MAX])
{
	w->n_out = n_out;
	assert_true(run_until(base, replied, w));
	pthread_mutex_lock(&w->s->lock);
	assert_int_equal(w->s->out_port, port);
	memcpy(frame, w->s->out_frame, FRAME_MAX);
	pthread_mutex_unlock(&w->s->lock);
	assert_memory_equal(frame, dst, 6);
	assert_memory_equal(frame + 6, src, 6);
}

/* Rules whose cookie is cookie & mask, through a second connection. */
struct count_arg {
	unsigned n;
	uint32_t nw_src; /* count only matches on this source, if set */
};

static int
count_cb(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct count_arg *c = arg;

	(void)st;
	if (c->nw_src == 0 ||
	    (r->mask.nw_src != 0 && r->match.nw_src == c->nw_src))
		c->n++;
	return 0;
}

static unsigned
count_rules(uint64_t cookie, uint64_t mask, const char *src)
{
	struct dp_client *c;
	struct count_arg ca = {0};
	struct net_addr a;

	if (src != NULL) {
		assert_int_equal(net_addr_parse(src, &a), 0);
		memcpy(&ca.nw_src, a.a, 4);
	}
	assert_int_equal(dp_client_connect(sock_path, &c, NULL, 0), 0);
	assert_int_equal(
		dp_client_flow_dump(c, -1, cookie, mask, count_cb, &ca), 0);
	dp_client_close(c);
	return ca.n;
}

static void
test_driver(void **state)
{
	struct netdrv_config cfg = {
		.dhcp = {.server_mac = {2, 0x5c, 0, 0, 0, 1}},
		.poll_ms = 20,
		.reconnect_ms = 10,
	};
	struct netdrv_ops ops = {
		.view = get_view,
		.port_bound = on_bound,
		.port_status = on_status,
		.log = on_log,
	};
	struct event_base *base = event_base_new();
	struct compiler_rules rs = {0};
	struct drv_wait w = {0};
	struct netdrv_stats st;
	struct server *s;
	struct netdrv *d;
	uint64_t c_a1 = compiler_cookie_port("a1");
	uint64_t c_b1 = compiler_cookie_port("b1");
	uint8_t f[FRAME_MAX];
	size_t n;

	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/ctlnet-netdrv-%d.sock",
		 (int)getpid());
	fill();
	s = server_start(0x1111);
	snprintf(cfg.dp_socket, sizeof(cfg.dp_socket), "%s", sock_path);
	assert_non_null(base);
	assert_int_equal(netdrv_create(base, &cfg, &ops, &d), 0);
	w.d = d;
	w.s = s;

	/* First connection: bind all three, add every rule. */
	w.n_syncs = 1;
	assert_true(run_until(base, synced, &w));
	netdrv_stats(d, &st);
	assert_true(st.is_connected);
	assert_int_equal(n_bound, 3);
	assert_int_equal(s->n_ports, 3);
	assert_int_not_equal(netdrv_dp_port(d, "b1"), 0);
	assert_true(st.last_added > 20);
	assert_int_equal(st.last_deleted + st.last_same, 0);
	assert_int_equal(
		count_rules(COMPILER_COOKIE_NS, COMPILER_COOKIE_NS_MASK, NULL),
		st.last_added);
	assert_true(run_until(base, all_active, NULL));

	/* A resync with nothing changed changes nothing. */
	assert_int_equal(netdrv_resync(d), 0);
	netdrv_stats(d, &st);
	assert_int_equal(st.last_added + st.last_deleted, 0);

	/* a1 moves to 10.0.0.21: only its rules follow. */
	assert_int_equal(count_rules(c_a1, ~0ULL, "10.0.0.11"), 2);
	net_addr_parse("10.0.0.21", &ports[0].ips[0].ip);
	assert_int_equal(netdrv_port_changed(d, "a1", 0), 0);
	assert_int_equal(count_rules(c_a1, ~0ULL, "10.0.0.11"), 0);
	assert_int_equal(count_rules(c_a1, ~0ULL, "10.0.0.21"), 2);
	assert_int_equal(count_rules(c_b1, ~0ULL, "10.0.0.11"), 2);
	netdrv_stats(d, &st);
	assert_int_equal(st.n_applies, 1);

	/* b1 deleted: unbound, its rules gone. */
	n_ports = 2;
	assert_int_equal(netdrv_port_changed(d, "b1", 0), 0);
	assert_int_equal(n_unbound, 1);
	assert_int_equal(s->n_ports, 2);
	assert_int_equal(count_rules(c_b1, ~0ULL, NULL), 0);

	/* Network A down: its ports keep only their drop rule. */
	nets[0].is_admin_up = false;
	assert_int_equal(netdrv_network_changed(d, 100), 0);
	assert_int_equal(count_rules(c_a1, ~0ULL, NULL), 1);
	assert_int_equal(count_rules(compiler_cookie_network(100), ~0ULL, NULL),
			 0);
	nets[0].is_admin_up = true;
	assert_int_equal(netdrv_network_changed(d, 100), 0);
	assert_true(count_rules(c_a1, ~0ULL, NULL) > 1);

	/* DHCP: a DISCOVER punted from a2 gets an OFFER out of a2. */
	n = frame_dhcp(f, 1, 0x42, mac_a2, NULL, NULL, NULL, 0);
	inject(s, f, n, netdrv_dp_port(d, "a2"), 0);
	w.n_out = 1;
	assert_true(run_until(base, replied, &w));
	pthread_mutex_lock(&s->lock);
	assert_int_equal(s->out_port, netdrv_dp_port(d, "a2"));
	assert_memory_equal(s->out_frame, mac_a2, 6);
	assert_int_equal(s->out_frame[42 + 16 + 3], 12); /* yiaddr .12 */
	assert_int_equal(s->out_frame[42 + 242], 2);	 /* OFFER */
	pthread_mutex_unlock(&s->lock);

	/*
	 * A router on net-a (10.0.0.1): its rules come with the router; a
	 * routed packet with TTL 1 punted from a2 gets an ICMP time exceeded
	 * from 10.0.0.1 back out of a2 (l3svc.h).
	 */
	{
		static const uint8_t mac_r[6] = {0xfa, 0x16, 0x3e, 0, 1, 1};
		struct net_view_port saved = ports[2];
		struct net_view_port *rp = &ports[2]; /* b1 is deleted */

		memset(rp, 0, sizeof(*rp));
		snprintf(rp->id, NET_ID_LEN, "ri");
		snprintf(rp->network_id, NET_ID_LEN, "net-a");
		memcpy(rp->mac, mac_r, 6);
		rp->is_admin_up = true;
		rp->n_ips = 1;
		snprintf(rp->ips[0].subnet_id, NET_ID_LEN, "sn-net-a");
		net_addr_parse("10.0.0.1", &rp->ips[0].ip);
		snprintf(rp->device_owner, NET_OWNER_LEN,
			 "network:router_interface");
		snprintf(rp->device_id, NET_ID_LEN, "r1");
		n_ports = 3;
		memset(routers, 0, sizeof(routers));
		snprintf(routers[0].id, NET_ID_LEN, "r1");
		routers[0].is_admin_up = true;
		n_routers = 1;
		assert_int_equal(netdrv_router_changed(d, "r1"), 0);
		assert_true(count_rules(compiler_cookie_router("r1"), ~0ULL,
					NULL) > 0);
		n = frame_icmp(f, mac_r, mac_a2, "10.0.0.12", "10.9.9.9");
		f[14 + 8] = 1; /* TTL (l3svc does not check the checksum) */
		inject(s, f, n, netdrv_dp_port(d, "a2"), COMPILER_PUNT_TTL);
		await_reply(base, &w, 2, netdrv_dp_port(d, "a2"), mac_a2, mac_r,
			    f);
		assert_int_equal(f[14 + 20], 11); /* exceeded */
		assert_int_equal(f[14 + 15], 1);  /* from .1 */
		netdrv_stats(d, &st);
		assert_int_equal(st.n_l3_replies, 1);
		/*
		 * An IPv6 packet over a tunnel's MTU punted from a2
		 * (DP_PUNT_ESP_MTU | 1446): ICMPv6 Packet Too Big back out
		 * of a2, from the interface's link-local address (it has no
		 * IPv6 address), counted n_ptb.
		 */
		n = frame_ip6(f, mac_r, mac_a2, "fd00::12", "fd00:2::7", 17,
			      900);
		inject(s, f, n, netdrv_dp_port(d, "a2"),
		       DP_PUNT_ESP_MTU | 1446);
		await_reply(base, &w, 3, netdrv_dp_port(d, "a2"), mac_a2, mac_r,
			    f);
		assert_int_equal(f[14 + 6], 58);
		assert_int_equal(f[14 + 8], 0xfe); /* fe80:: */
		assert_int_equal(f[14 + 40], 2);   /* too big */
		assert_int_equal(f[14 + 46] << 8 | f[14 + 47], 1446);
		netdrv_stats(d, &st);
		assert_int_equal(st.n_l3_replies, 2);
		assert_int_equal(st.n_ptb, 1);
		assert_int_equal(st.n_frag_needed, 0);
		/*
		 * A routed IPv4 packet with DF too big for its output port
		 * (the runtime's DP_PUNT_TX_MTU | 1400): its Ethernet header
		 * is the next hop's (from the router's MAC to b1's); the
		 * reply goes back out of a2, to a2's MAC, from 10.0.0.1.
		 */
		n = frame_icmp(f, mac_b1, mac_r, "10.0.0.12", "10.9.9.9");
		f[14 + 6] = 0x40; /* DF */
		inject(s, f, n, netdrv_dp_port(d, "a2"), DP_PUNT_TX_MTU | 1400);
		await_reply(base, &w, 4, netdrv_dp_port(d, "a2"), mac_a2, mac_r,
			    f);
		assert_int_equal(f[14 + 20], 3); /* unreachable */
		assert_int_equal(f[14 + 21], 4); /* fragmentation needed */
		assert_int_equal(f[14 + 26] << 8 | f[14 + 27], 1400);
		assert_int_equal(f[14 + 15], 1); /* from .1 */
		netdrv_stats(d, &st);
		assert_int_equal(st.n_frag_needed, 1);
		/* The router is deleted: its rules go with it. */
		n_routers = 0;
		n_ports = 2;
		ports[2] = saved;
		assert_int_equal(netdrv_router_changed(d, "r1"), 0);
		assert_int_equal(
			count_rules(compiler_cookie_router("r1"), ~0ULL, NULL),
			0);
	}

	/* sluice-dp restarts empty with a new boot id: all again. */
	server_stop(s);
	s = server_start(0x2222);
	w.s = s;
	w.n_syncs = 3;
	assert_true(run_until(base, synced, &w));
	netdrv_stats(d, &st);
	assert_int_equal(st.n_boots, 2);
	assert_int_equal(st.n_connects, 2);
	assert_int_equal(s->n_ports, 2);
	assert_int_equal(st.last_same + st.last_deleted, 0);
	{
		struct net_view v = {nets, 2, subnets, 2, NULL, 0};

		assert_int_equal(compiler_all(&v, &rs), 0);
	}
	assert_true(st.last_added > rs.n);
	compiler_rules_fini(&rs);

	netdrv_destroy(d);
	netdrv_destroy(NULL);
	server_stop(s);
	event_base_free(base);
}

static bool
neigh_probed(void *arg)
{
	struct drv_wait *w = arg;
	struct netdrv_stats st;

	netdrv_stats(w->d, &st);
	return st.n_neigh_probes >= w->n_out;
}

static bool
neigh_expired(void *arg)
{
	struct drv_wait *w = arg;
	struct netdrv_stats st;

	netdrv_stats(w->d, &st);
	return st.n_neigh_expired >= 1;
}

/*
 * Next-hop aging (neigh.h) on short timings: a router r1 with its
 * gateway rg (10.0.0.10) on net-b, made external; b1's port is the
 * next hop 10.0.0.1. An ARP reply installs it; once stale the driver
 * re-probes it (the broadcast ARP request from the gateway, out of b1);
 * an answer with a new MAC replaces the rules; unanswered, they go.
 */
static void
test_aging(void **state)
{
	static const uint8_t mac_rg[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xee};
	static const uint8_t mac_nh2[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xb2};
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct netdrv_config cfg = {
		.dhcp = {.server_mac = {2, 0x5c, 0, 0, 0, 1}},
		.poll_ms = 20,
		.reconnect_ms = 10,
		.neigh = {.reachable_ms = 150,
			  .retrans_ms = 100,
			  .n_probes = 2},
	};
	struct netdrv_ops ops = {.view = get_view, .log = on_log};
	struct event_base *base = event_base_new();
	struct net_view_port *rg = &ports[3];
	struct drv_wait w = {0};
	uint8_t f[FRAME_MAX], hop[4] = {10, 0, 0, 1};
	uint64_t c = compiler_cookie_neigh("r1", hop);
	struct netdrv_stats st;
	struct server *s;
	struct netdrv *d;
	uint32_t b1;
	size_t n;

	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/ctlnet-aging-%d.sock",
		 (int)getpid());
	fill();
	nets[1].is_external = true;
	memset(rg, 0, sizeof(*rg));
	snprintf(rg->id, NET_ID_LEN, "rg");
	snprintf(rg->network_id, NET_ID_LEN, "net-b");
	memcpy(rg->mac, mac_rg, 6);
	rg->is_admin_up = true;
	rg->n_ips = 1;
	snprintf(rg->ips[0].subnet_id, NET_ID_LEN, "sn-net-b");
	net_addr_parse("10.0.0.10", &rg->ips[0].ip);
	snprintf(rg->device_owner, NET_OWNER_LEN, "network:router_gateway");
	snprintf(rg->device_id, NET_ID_LEN, "r1");
	n_ports = 4;
	memset(routers, 0, sizeof(routers));
	snprintf(routers[0].id, NET_ID_LEN, "r1");
	snprintf(routers[0].gw_port_id, NET_ID_LEN, "rg");
	routers[0].is_admin_up = true;
	n_routers = 1;
	s = server_start(0x3333);
	snprintf(cfg.dp_socket, sizeof(cfg.dp_socket), "%s", sock_path);
	assert_int_equal(netdrv_create(base, &cfg, &ops, &d), 0);
	w.d = d;
	w.s = s;
	w.n_syncs = 1;
	assert_true(run_until(base, synced, &w));
	b1 = netdrv_dp_port(d, "b1");
	assert_int_not_equal(b1, 0);
	/* Learned from b1's ARP reply. */
	n = frame_arp(f, 2, mac_b1, "10.0.0.1", mac_rg, "10.0.0.10");
	inject(s, f, n, b1, COMPILER_PUNT_ARP_LEARN);
	for (int i = 0; i < 200 && count_rules(c, ~0ULL, NULL) == 0; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_int_equal(count_rules(c, ~0ULL, NULL), 2);
	/* Stale: the re-probe, a broadcast ARP request out of b1. */
	w.n_out = 1;
	assert_true(run_until(base, neigh_probed, &w));
	pthread_mutex_lock(&s->lock);
	assert_int_equal(s->out_port, b1);
	assert_memory_equal(s->out_frame, bcast, 6);
	assert_memory_equal(s->out_frame + 6, mac_rg, 6);
	assert_int_equal(s->out_frame[21], 1);	    /* request */
	assert_int_equal(s->out_frame[38 + 3], 1);  /* for .1 */
	assert_int_equal(s->out_frame[28 + 3], 10); /* from .10 */
	pthread_mutex_unlock(&s->lock);
	/* Answered from a new MAC: replaced. */
	n = frame_arp(f, 2, mac_nh2, "10.0.0.1", mac_rg, "10.0.0.10");
	inject(s, f, n, b1, COMPILER_PUNT_ARP_LEARN);
	for (int i = 0; i < 2000; i++) {
		netdrv_stats(d, &st);
		if (st.n_neigh_changed == 1)
			break;
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	netdrv_stats(d, &st);
	assert_int_equal(st.n_neigh_changed, 1);
	assert_int_equal(st.n_neigh_expired, 0);
	assert_int_equal(count_rules(c, ~0ULL, NULL), 2);
	/* No answer any more: probed twice, then the rules go. */
	assert_true(run_until(base, neigh_expired, &w));
	netdrv_stats(d, &st);
	assert_true(st.n_neigh_probes >= 3);
	assert_int_equal(st.n_neigh_expired, 1);
	assert_int_equal(count_rules(c, ~0ULL, NULL), 0);
	assert_int_equal(st.n_neighbours, 2); /* learned, replaced */

	netdrv_destroy(d);
	server_stop(s);
	event_base_free(base);
	n_routers = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver),
		cmocka_unit_test(test_aging),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
