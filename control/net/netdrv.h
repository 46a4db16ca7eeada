/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netdrv.h: the tenant-network driver of sluiced: everything control/net/
 * does, run on sluiced's libevent loop. It owns the connection to
 * sluice-dp (dp_client.h), binds ports (binder.h), keeps the flow tables
 * equal to the intent (compiler.h, reconcile.h), answers DHCP
 * packet-ins (dhcp.h) and the routers' punts (l3svc.h: ICMP time
 * exceeded, echo replies, next-hop ARP and ND, router solicitations). Its
 * timer also ages learned next hops (neigh.h) and sends the unsolicited
 * router advertisements of tenant IPv6 subnets.
 *
 * sluiced gives it a callback that builds the current intent view from
 * its model, and tells it what changed (a port, a network); the driver
 * asks for the view again whenever it needs it. It connects by itself and
 * reconnects when sluice-dp goes away: a datapath with a new boot id (a
 * restarted sluice-dp) gets its ports bound again and every rule added; the
 * same datapath (a restarted sluiced) gets only the difference, usually
 * nothing. While disconnected, changes are only remembered as "resync on
 * connect".
 *
 * Concurrency: the loop's thread only. Calls into sluice-dp block for at
 * most the client's timeout.
 */
#ifndef SLUICE_NETDRV_H
#define SLUICE_NETDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binder.h"
#include "dhcp.h"
#include "neigh.h"
#include "net_view.h"

struct event_base;

struct netdrv_config {
	char dp_socket[108]; /* "" = DP_SOCKET_PATH_DEFAULT */
	struct binder_config binder;
	struct dhcp_config dhcp;
	unsigned poll_ms;	   /* port status poll; 0 = 1000 */
	unsigned reconnect_ms;	   /* retry period; 0 = 200 */
	int dp_timeout_ms;	   /* per datapath call; 0 = 5000 */
	struct neigh_config neigh; /* next-hop aging (neigh.h); 0s: Linux's */
	unsigned ra_interval_ms;   /* unsolicited router advertisements;
				    * 0: RFC 4861 6.2.1 (3 at <= 16 s, then
				    * 200 .. 600 s) */
};

enum netdrv_log_level { NETDRV_LOG_ERROR, NETDRV_LOG_WARN, NETDRV_LOG_INFO };

struct netdrv_ops {
	/*
	 * Fill out with the current intent. The arrays are the caller's and
	 * must stay valid until the next call of view() or netdrv_destroy();
	 * dp_port is ignored (the driver fills it). 0 or -errno.
	 */
	int (*view)(void *arg, struct net_view *out);
	/* A port was bound (vif) or unbound / failed to bind (vif NULL,
	 * reason in err). May be NULL. */
	void (*port_bound)(void *arg, const char *port_id,
			   const struct binder_vif *vif, const char *err);
	/* DOWN -> ACTIVE and back. May be NULL. */
	void (*port_status)(void *arg, const char *port_id, bool is_up);
	/* One line, no newline. NULL: stderr. */
	void (*log)(void *arg, enum netdrv_log_level level, const char *msg);
	void *arg;
};

struct netdrv_stats {
	uint64_t n_connects; /* successful connections */
	uint64_t n_boots;    /* distinct datapath boot ids seen */
	uint64_t n_syncs;    /* full reconciles */
	uint64_t n_applies;  /* incremental updates */
	uint64_t n_dhcp_replies;
	uint64_t n_l3_replies;	  /* ICMP time exceeded / echo replies sent */
	uint64_t n_frag_needed;	  /* of which ICMP fragmentation needed */
	uint64_t n_ptb;		  /* of which ICMPv6 Packet Too Big */
	uint64_t n_arp_requests;  /* next-hop resolutions sent (ARP, NS) */
	uint64_t n_neighbours;	  /* next hops learned and installed */
	uint64_t n_neigh_changed; /* of which with a new MAC */
	uint64_t n_neigh_probes;  /* re-probes of learned next hops */
	uint64_t n_neigh_expired; /* unanswered: rule removed */
	uint64_t n_ra;		  /* router advertisements sent */
	size_t last_added, last_deleted, last_same; /* last full reconcile */
	double last_sync_ms; /* its duration, binding included */
	bool is_connected;
};

struct netdrv;

/* cfg and ops are copied. Starts connecting at once (on the loop). */
int netdrv_create(struct event_base *base, const struct netdrv_config *cfg,
		  const struct netdrv_ops *ops, struct netdrv **out);
/* Disconnects; the datapath keeps its state. Accepts NULL. */
void netdrv_destroy(struct netdrv *d);

/*
 * A port was created, updated or deleted (it is absent from the view).
 * old_segment: its network's segment before the change if that changed
 * (0 otherwise). Binds or unbinds it, then replaces its rules and its
 * network's. 0, or -errno (the change is retried by a full resync).
 */
int netdrv_port_changed(struct netdrv *d, const char *port_id,
			uint32_t old_segment);
/* A network was created, updated or deleted: its rules and its ports'. */
int netdrv_network_changed(struct netdrv *d, uint32_t segment);
/*
 * A router was created, updated (gateway, SNAT, routes, admin state) or
 * deleted, or an interface was added to or removed from it: its rules and
 * its floating IPs'.
 */
int netdrv_router_changed(struct netdrv *d, const char *router_id);
/*
 * A security group or one of its rules changed: the security-group stage
 * of its member ports and of the ports whose rules name it as a remote
 * group. Live connections are re-checked against the new rules by the
 * datapath (docs/compiler.md), so nothing is flushed.
 */
int netdrv_sg_changed(struct netdrv *d, const char *sg_id);
/*
 * A floating IP was created, associated, disassociated or deleted.
 * old_router_id: the router it was served by before the change ("" or
 * NULL: none); its conntrack zone is flushed, so the connections through
 * the old association stop at once.
 */
int netdrv_fip_changed(struct netdrv *d, const char *fip_id,
		       const char *old_router_id);

/* Bind everything, prune what is gone, reconcile all rules. */
int netdrv_resync(struct netdrv *d);

/*
 * VPN tunnels with child SAs in the datapath (compiler_vpn.h): the list
 * is copied and every VPN rule (cookie namespace COMPILER_VPN_COOKIE_NS)
 * is replaced by the list's in one transaction, now and after every
 * full resync and router change. 0, -ENOMEM, or -errno from the
 * datapath (-ENOTCONN while disconnected: applied on connect).
 */
struct compiler_vpn_tunnel;
int netdrv_vpn_set(struct netdrv *d, const struct compiler_vpn_tunnel *t,
		   size_t n);
/*
 * Load balancers' VIP rules (compiler_lb.h): the list is copied and every
 * LB rule (cookie namespace COMPILER_LB_COOKIE_NS) is replaced by the
 * list's in one transaction, now and after every full resync, port and
 * network change (delivery covers the VIP network's ports). 0, -ENOMEM,
 * or -errno from the datapath (-ENOTCONN while disconnected: applied on
 * connect).
 */
struct compiler_lb;
int netdrv_lb_set(struct netdrv *d, const struct compiler_lb *lbs, size_t n);
/*
 * IKE through the datapath: with is_on, every router gateway address
 * punts IKE (COMPILER_PUNT_IKE) and decrypts ESP even before a tunnel
 * exists; punted frames of that reason go to fn. Off: no IKE punt.
 */
typedef void (*netdrv_punt_fn)(void *arg, uint32_t in_port,
			       const uint8_t *frame, size_t len);
int netdrv_vpn_ike_punt(struct netdrv *d, bool is_on, netdrv_punt_fn fn,
			void *arg);
/* Frames caught by a VPN trap (COMPILER_PUNT_VPN_TRAP) go to fn. */
void netdrv_vpn_trap_observe(struct netdrv *d, netdrv_punt_fn fn, void *arg);
/*
 * A next hop learned from an ARP reply or a neighbor advertisement on an
 * external network (installed in the datapath, then reported to fn with
 * the port it came in on and its family, AF_INET: 4 bytes at ip, AF_INET6:
 * 16); fn NULL: no observer. IKE through the datapath sends to it. Learned
 * next hops age (neigh.h): each answer to a re-probe is reported again
 * (possibly with a new MAC); one that stops answering is removed from the
 * datapath and reported with mac NULL and in_port 0.
 */
typedef void (*netdrv_neigh_fn)(void *arg, uint32_t in_port, int family,
				const uint8_t *ip, const uint8_t mac[6]);
void netdrv_neigh_observe(struct netdrv *d, netdrv_neigh_fn fn, void *arg);
/* Send frame out of ports[0..n) (not through the tables). 0 or -errno. */
int netdrv_packet_out(struct netdrv *d, const uint32_t *ports, size_t n,
		      const uint8_t *frame, size_t len);
/* The current view (valid until the next change is applied). */
const struct net_view *netdrv_view(const struct netdrv *d);

/* Datapath port of a bound port (0: none). */
uint32_t netdrv_dp_port(const struct netdrv *d, const char *port_id);
void netdrv_stats(const struct netdrv *d, struct netdrv_stats *out);

#endif /* SLUICE_NETDRV_H */
