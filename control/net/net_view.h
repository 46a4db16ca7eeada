/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_view.h: a flattened, self-contained view of the tenant networking
 * intent, as the datapath side of sluiced (control/net/: the compiler, the
 * DHCP responder, the binder) consumes it. sluiced fills it from its model
 * (the store); tests fill it by hand. It holds plain values only: no
 * pointers into the store, no allocation by this header.
 *
 * Relations are by id string (port->network_id names a network's id). The
 * arrays of struct net_view are borrowed by every function that takes a
 * view; they are not modified.
 *
 * Addresses: struct net_addr holds an IPv4 address in a[0..3] (network
 * order, as on the wire) or an IPv6 address in a[0..15].
 */
#ifndef SLUICE_NET_VIEW_H
#define SLUICE_NET_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	NET_ID_LEN = 64,	    /* ids (UUIDs), NUL included */
	NET_IFNAME_LEN = 16,	    /* kernel interface names, NUL included */
	NET_DNS_MAX = 4,	    /* dns_nameservers per subnet */
	NET_ROUTES_MAX = 16,	    /* host_routes per subnet */
	NET_PORT_IPS_MAX = 8,	    /* fixed_ips per port */
	NET_PAIRS_MAX = 16,	    /* allowed_address_pairs per port */
	NET_PORT_SGS_MAX = 8,	    /* security_groups per port */
	NET_ROUTER_ROUTES_MAX = 32, /* static routes per router */
	NET_OWNER_LEN = 48,	    /* device_owner, NUL included */
};

/* An IPv4 or IPv6 address, or a prefix when prefix_len is meaningful. */
struct net_addr {
	uint8_t version;    /* 4 or 6; 0 = absent */
	uint8_t prefix_len; /* 0..32 / 0..128 where a prefix is meant */
	uint8_t pad[2];
	uint8_t a[16]; /* network order; IPv4 in a[0..3] */
};

struct net_view_network {
	char id[NET_ID_LEN];
	char project_id[NET_ID_LEN];
	uint32_t segment_id;   /* VNI, 1 .. 0xffffff, unique per host; it is
				* also the metadata value of the network's
				* packets in the flow tables */
	uint32_t mtu;	       /* 0: unknown (no DHCP option 26) */
	bool is_port_security; /* port_security_enabled default */
	bool is_admin_up;
	bool is_external; /* router:external: routers' gateways live here */
};

struct net_view_route {
	struct net_addr dst; /* destination prefix */
	struct net_addr nexthop;
};

/* ipv6_ra_mode: who advertises what (l3svc_router_advert()). */
enum net_v6_mode {
	NET_V6_NONE = 0, /* no router advertisements */
	NET_V6_SLAAC,
	NET_V6_DHCP_STATEFUL,
	NET_V6_DHCP_STATELESS,
};

struct net_view_subnet {
	char id[NET_ID_LEN];
	char network_id[NET_ID_LEN];
	struct net_addr cidr;	 /* version, prefix_len and address */
	struct net_addr gateway; /* version 0: no gateway */
	unsigned n_dns;
	struct net_addr dns[NET_DNS_MAX];
	unsigned n_routes;
	struct net_view_route routes[NET_ROUTES_MAX];
	bool is_dhcp;	 /* enable_dhcp */
	uint8_t ra_mode; /* enum net_v6_mode: ipv6_ra_mode (IPv6 only) */
};

struct net_view_fixed_ip {
	char subnet_id[NET_ID_LEN];
	struct net_addr ip; /* prefix_len ignored */
};

/* allowed_address_pairs: an address or prefix, with an optional MAC. */
struct net_view_pair {
	struct net_addr ip; /* prefix_len: 32/128 for a host */
	bool has_mac;	    /* false: the port's own MAC */
	uint8_t mac[6];
};

/* How the port is attached (binding:vnic_type / binding:profile). */
enum net_vif_kind {
	NET_VIF_NONE = 0,  /* not bound to this host */
	NET_VIF_KERNEL,	   /* a host interface (veth/tap) by name */
	NET_VIF_VHOSTUSER, /* a vhost-user socket for QEMU */
};

struct net_view_port {
	char id[NET_ID_LEN];
	char network_id[NET_ID_LEN];
	uint8_t mac[6];
	bool is_admin_up;
	bool is_port_security; /* port_security_enabled (resolved) */
	unsigned n_ips;
	struct net_view_fixed_ip ips[NET_PORT_IPS_MAX];
	unsigned n_pairs;
	struct net_view_pair pairs[NET_PAIRS_MAX];
	enum net_vif_kind vif;
	char host_ifname[NET_IFNAME_LEN]; /* NET_VIF_KERNEL: binding:profile
					   * "interface" */
	uint32_t dp_port; /* datapath port number; 0 = not attached */
	/*
	 * device_owner and device_id as Neutron sets them: a router's
	 * interface on a tenant subnet is "network:router_interface", its
	 * gateway on the external network "network:router_gateway", a
	 * floating IP's own port "network:floatingip"; device_id is then the
	 * router's (or floating IP's) id. Such ports are the router's: they
	 * are not bound to an interface, the datapath answers for them.
	 */
	char device_owner[NET_OWNER_LEN];
	char device_id[NET_ID_LEN];
	unsigned n_sgs; /* security groups (port security on) */
	char sgs[NET_PORT_SGS_MAX][NET_ID_LEN];
};

/*
 * A router. Its interfaces are the ports whose device_id is the router's
 * id (device_owner network:router_interface): one per attached subnet,
 * the port's fixed IP is the subnet's gateway address and the port's MAC
 * the router's MAC on that network. Its external gateway is the port with
 * device_owner network:router_gateway (gw_port_id).
 */
struct net_view_router {
	char id[NET_ID_LEN];
	char project_id[NET_ID_LEN];
	bool is_admin_up;
	bool is_snat;		     /* external_gateway_info.enable_snat */
	char gw_port_id[NET_ID_LEN]; /* "": no external gateway */
	unsigned n_routes;	     /* "routes": static routes */
	struct net_view_route routes[NET_ROUTER_ROUTES_MAX];
};

/*
 * A floating IP: 1:1 NAT between floating_ip (on the external network of
 * floating_network_id) and fixed_ip of port_id, through router_id (the
 * router that has the port's subnet as an interface and a gateway on that
 * external network). port_id "": not associated.
 */
struct net_view_fip {
	char id[NET_ID_LEN];
	char project_id[NET_ID_LEN];
	char floating_network_id[NET_ID_LEN];
	struct net_addr floating_ip;
	char port_id[NET_ID_LEN];
	struct net_addr fixed_ip;
	char router_id[NET_ID_LEN];
};

enum net_sg_dir {
	NET_SG_INGRESS = 0,
	NET_SG_EGRESS = 1,
};

/* A security group rule. Zero/empty fields match anything. */
struct net_view_sg_rule {
	char id[NET_ID_LEN];
	char sg_id[NET_ID_LEN];
	uint8_t direction;	       /* enum net_sg_dir */
	uint8_t ethertype;	       /* 4 or 6 */
	int16_t protocol;	       /* IP protocol number; -1: any */
	int32_t port_min;	       /* TCP/UDP port, or ICMP type; -1: any */
	int32_t port_max;	       /* TCP/UDP port, or ICMP code; -1: any */
	struct net_addr remote_prefix; /* version 0: any */
	char remote_group_id[NET_ID_LEN]; /* "": none; else the addresses
					   * of that group's member ports */
};

struct net_view_sg {
	char id[NET_ID_LEN];
	char project_id[NET_ID_LEN];
	bool is_stateful; /* "stateful" attribute, default true */
};

struct net_view {
	const struct net_view_network *networks;
	size_t n_networks;
	const struct net_view_subnet *subnets;
	size_t n_subnets;
	const struct net_view_port *ports;
	size_t n_ports;
	const struct net_view_router *routers;
	size_t n_routers;
	const struct net_view_fip *fips;
	size_t n_fips;
	const struct net_view_sg *sgs;
	size_t n_sgs;
	const struct net_view_sg_rule *sg_rules;
	size_t n_sg_rules;
};

/* Lookups by id; NULL when absent. Linear; the view is small per host. */
const struct net_view_network *net_view_network(const struct net_view *v,
						const char *id);
const struct net_view_subnet *net_view_subnet(const struct net_view *v,
					      const char *id);
const struct net_view_port *net_view_port(const struct net_view *v,
					  const char *id);
const struct net_view_router *net_view_router(const struct net_view *v,
					      const char *id);
const struct net_view_sg *net_view_sg(const struct net_view *v, const char *id);
/* The port attached to datapath port dp_port, or NULL. */
const struct net_view_port *net_view_port_by_dp(const struct net_view *v,
						uint32_t dp_port);

/*
 * Parse "10.0.0.0/24", "10.0.0.1", "fd00::/64" into a. Without "/len" the
 * prefix is a host prefix (32 or 128). 0 or -EINVAL.
 */
int net_addr_parse(const char *s, struct net_addr *a);
/* Parse "fa:16:3e:00:00:01". 0 or -EINVAL. */
int net_mac_parse(const char *s, uint8_t mac[6]);

#endif /* SLUICE_NET_VIEW_H */
