/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model.h: the tenant intent that sluiced keeps, as plain C values: Neutron
 * networks, subnets and ports, plus the change hook through which the rest
 * of the daemon (the intent-to-flow compiler, DHCP, the port binder) learns
 * of every durable change.
 *
 * The REST layer (api.c) decodes request JSON into these structs with
 * model_*_decode(), the service layer (ctl.c) checks them against the
 * store, allocates MACs, IPs and VNIs, writes them with store.c in one
 * SQLite transaction and then calls the observers. The same encoder that
 * answers the API writes the stored document, so the stored form and the
 * API form never drift apart.
 *
 * Every struct is a value: fixed-size arrays, no pointers, so it can be
 * copied with '=' and handed to observers as const without ownership
 * questions. Limits (CTL_*_MAX) are enforced by the decoder with a 400.
 *
 * Concurrency: single-threaded (sluiced's event loop).
 */
#ifndef SLUICE_MODEL_H
#define SLUICE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_UUID_LEN 36	    /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define CTL_PROJECT_MAX 64  /* chars of a project id */
#define CTL_NAME_MAX 255    /* name, description, device_*, host_id */
#define CTL_TAG_MAX 60	    /* chars of one tag */
#define CTL_TAGS_MAX 16	    /* tags per object */
#define CTL_POOLS_MAX 8	    /* allocation pools per subnet */
#define CTL_DNS_MAX 5	    /* dns_nameservers per subnet */
#define CTL_ROUTES_MAX 20   /* host_routes per subnet */
#define CTL_FIXED_IPS_MAX 8 /* fixed_ips per port */
#define CTL_SGS_MAX 8	    /* security_groups per port */
#define CTL_PAIRS_MAX 10    /* allowed_address_pairs per port */
#define CTL_JSON_MAX 1023   /* binding:profile, binding:vif_details */
#define CTL_KEYWORD_MAX 31  /* enum-like strings (vnic_type, ...) */

/*
 * The resource kinds; used by the store and the observers. The first three
 * are C structs (below); the L3 and security group kinds from CTL_ROUTER
 * on are JSON documents decoded by the attribute tables of res.h.
 */
enum ctl_kind {
	CTL_NETWORK,
	CTL_SUBNET,
	CTL_PORT,
	CTL_ROUTER,	/* routers */
	CTL_FLOATINGIP, /* floatingips */
	CTL_SECGROUP,	/* security-groups */
	CTL_SGRULE,	/* security-group-rules */
	CTL_KIND_COUNT,
};

/* True for the kinds kept as JSON documents (res.h). */
static inline bool
ctl_kind_is_doc(enum ctl_kind kind)
{
	return kind >= CTL_ROUTER && kind < CTL_KIND_COUNT;
}

/* Neutron status values. */
enum ctl_status {
	CTL_STATUS_DOWN,
	CTL_STATUS_ACTIVE,
	CTL_STATUS_BUILD,
	CTL_STATUS_ERROR,
};

/* An IP address; family is 4 or 6, a v4 address uses addr[0..3]. */
struct ctl_ip {
	uint8_t family;
	uint8_t addr[16];
};

/* An address with a prefix length (a CIDR). */
struct ctl_prefix {
	struct ctl_ip ip;
	uint8_t len;
};

/* Attributes every Neutron core object has (standard attributes). */
struct ctl_meta {
	char id[CTL_UUID_LEN + 1];
	char project_id[CTL_PROJECT_MAX + 1];
	char name[CTL_NAME_MAX + 1];
	char description[CTL_NAME_MAX + 1];
	uint64_t revision_number; /* 0 on create, +1 on each update */
	int64_t created_at;	  /* Unix seconds, UTC */
	int64_t updated_at;
	unsigned n_tags;
	char tags[CTL_TAGS_MAX][CTL_TAG_MAX + 1];
};

/* A tenant network: one logical switch with its own VNI. */
struct ctl_network {
	struct ctl_meta m;
	bool is_admin_up;	/* admin_state_up, default true */
	bool is_shared;		/* shared, default false */
	bool is_external;	/* router:external, default false */
	bool has_port_security; /* port_security_enabled (true) */
	uint32_t mtu;		/* default 1450 (VXLAN overlay) */
	char network_type[CTL_KEYWORD_MAX + 1];	    /* provider:network_type */
	char physical_network[CTL_KEYWORD_MAX + 1]; /* "" = null */
	uint32_t segmentation_id; /* the VNI, unique, 1..16777215 */
	enum ctl_status status;	  /* ACTIVE */
};

struct ctl_pool {
	struct ctl_ip start;
	struct ctl_ip end;
};

struct ctl_route {
	struct ctl_prefix destination;
	struct ctl_ip nexthop;
};

/* ipv6_ra_mode / ipv6_address_mode; CTL_V6_NONE is JSON null. */
enum ctl_v6_mode {
	CTL_V6_NONE,
	CTL_V6_SLAAC,
	CTL_V6_DHCP_STATEFUL,
	CTL_V6_DHCP_STATELESS,
};

/* A subnet of a network, with its IPAM settings. */
struct ctl_subnet {
	struct ctl_meta m;
	char network_id[CTL_UUID_LEN + 1];
	uint8_t ip_version;	/* 4 or 6 */
	struct ctl_prefix cidr; /* host bits zero */
	bool has_gateway;	/* false: gateway_ip null */
	struct ctl_ip gateway_ip;
	unsigned n_pools;
	struct ctl_pool pools[CTL_POOLS_MAX]; /* sorted, disjoint */
	unsigned n_dns;
	struct ctl_ip dns[CTL_DNS_MAX];
	unsigned n_routes;
	struct ctl_route routes[CTL_ROUTES_MAX];
	bool is_dhcp; /* enable_dhcp, default true */
	enum ctl_v6_mode ra_mode;
	enum ctl_v6_mode address_mode;
};

/*
 * One fixed IP of a port. In a create or update request either part may
 * be absent: subnet_id "" (any subnet of the network that holds
 * ip_address) or ip.family 0 (allocate one from subnet_id's pools). In a
 * stored port both are always set.
 */
struct ctl_fixed_ip {
	char subnet_id[CTL_UUID_LEN + 1];
	struct ctl_ip ip;
};

/* An allowed address pair; ip.len is the full length for one address. */
struct ctl_addr_pair {
	struct ctl_prefix ip;
	bool has_mac; /* false: the port's own MAC */
	uint8_t mac[6];
};

/* A port: one attachment point of a network. */
struct ctl_port {
	struct ctl_meta m;
	char network_id[CTL_UUID_LEN + 1];
	bool is_admin_up; /* admin_state_up, default true */
	uint8_t mac[6];	  /* allocated fa:16:3e:xx:xx:xx */
	unsigned n_fixed_ips;
	struct ctl_fixed_ip fixed_ips[CTL_FIXED_IPS_MAX];
	char device_id[CTL_NAME_MAX + 1];
	char device_owner[CTL_NAME_MAX + 1]; /* "network:dhcp", ... */
	unsigned n_security_groups;
	char security_groups[CTL_SGS_MAX][CTL_UUID_LEN + 1];
	unsigned n_pairs;
	struct ctl_addr_pair pairs[CTL_PAIRS_MAX];
	bool has_port_security;		     /* default: the network's */
	char host_id[CTL_NAME_MAX + 1];	     /* binding:host_id */
	char vnic_type[CTL_KEYWORD_MAX + 1]; /* binding:vnic_type */
	char profile[CTL_JSON_MAX + 1];	     /* binding:profile, JSON */
	char vif_type[CTL_KEYWORD_MAX + 1];  /* binding:vif_type (r/o) */
	char vif_details[CTL_JSON_MAX + 1];  /* binding:vif_details, JSON */
	enum ctl_status status; /* DOWN until the binder says ACTIVE */
};

/* What happened to an object (argument of the observers). */
enum ctl_change {
	CTL_CREATED,
	CTL_UPDATED,
	CTL_DELETED,
};

/*
 * The change hook. Each callback runs on the event loop after the
 * transaction that made the change has committed (the write is durable),
 * before the HTTP answer is sent. old is NULL on CTL_CREATED, cur is NULL
 * on CTL_DELETED; both are borrowed for the call only. A bulk create calls
 * the hook once per object, in request order, after the one commit.
 * Callbacks may be NULL; they must not block, and may call the ctl_*_set_*
 * functions of ctl.h (which nest one level: observers see those changes
 * too).
 */
struct ctl_observer {
	void (*network_changed)(void *arg, enum ctl_change what,
				const struct ctl_network *old,
				const struct ctl_network *cur);
	void (*subnet_changed)(void *arg, enum ctl_change what,
			       const struct ctl_subnet *old,
			       const struct ctl_subnet *cur);
	void (*port_changed)(void *arg, enum ctl_change what,
			     const struct ctl_port *old,
			     const struct ctl_port *cur);
	/* A document kind (ctl_kind_is_doc): the stored API JSON. */
	void (*doc_changed)(void *arg, enum ctl_kind kind, enum ctl_change what,
			    const json_t *old, const json_t *cur);
	void *arg;
};

/*
 * Error codes: the one table (ctl_err_status/ctl_err_type in model.c)
 * maps each to an HTTP status and a stable NeutronError type.
 */
enum ctl_errcode {
	CTL_E_OK,
	CTL_E_BAD_REQUEST,	   /* 400 HTTPBadRequest */
	CTL_E_INVALID_INPUT,	   /* 400 InvalidInput */
	CTL_E_UNAUTHORIZED,	   /* 401 NotAuthenticated */
	CTL_E_FORBIDDEN,	   /* 403 PolicyNotAuthorized */
	CTL_E_NOT_FOUND,	   /* 404 HTTPNotFound */
	CTL_E_NETWORK_NOT_FOUND,   /* 404 NetworkNotFound */
	CTL_E_SUBNET_NOT_FOUND,	   /* 404 SubnetNotFound */
	CTL_E_PORT_NOT_FOUND,	   /* 404 PortNotFound */
	CTL_E_EXTENSION_NOT_FOUND, /* 404 ExtensionNotFound */
	CTL_E_METHOD_NOT_ALLOWED,  /* 405 HTTPMethodNotAllowed */
	CTL_E_NETWORK_IN_USE,	   /* 409 NetworkInUse */
	CTL_E_SUBNET_IN_USE,	   /* 409 SubnetInUse */
	CTL_E_IP_IN_USE,	   /* 409 IpAddressAlreadyAllocated */
	CTL_E_MAC_IN_USE,	   /* 409 MacAddressInUse */
	CTL_E_IP_EXHAUSTED,	   /* 409 IpAddressGenerationFailure */
	CTL_E_POOL_OVERLAP,	   /* 409 OverlappingAllocationPools */
	CTL_E_GATEWAY_CONFLICT,	   /* 409 GatewayConflictWithAllocationPools */
	CTL_E_VNI_IN_USE,	   /* 409 SegmentationIdInUse */
	CTL_E_CONFLICT,		   /* 409 Conflict */
	CTL_E_REVISION,		   /* 412 RevisionNumberConstraintFailed */
	CTL_E_TOO_LARGE,	   /* 413 RequestEntityTooLarge */
	CTL_E_ROUTER_NOT_FOUND,	   /* 404 RouterNotFound */
	CTL_E_FIP_NOT_FOUND,	   /* 404 FloatingIPNotFound */
	CTL_E_SG_NOT_FOUND,	   /* 404 SecurityGroupNotFound */
	CTL_E_SGRULE_NOT_FOUND,	   /* 404 SecurityGroupRuleNotFound */
	CTL_E_NO_EXT_GW,      /* 404 ExternalGatewayForFloatingIPNotFound */
	CTL_E_IF_NOT_FOUND,   /* 404 RouterInterfaceNotFound */
	CTL_E_ROUTER_IN_USE,  /* 409 RouterInUse */
	CTL_E_L3_PORT_IN_USE, /* 409 L3PortInUse */
	CTL_E_PORT_IN_USE,    /* 409 PortInUse */
	CTL_E_IF_IN_USE,      /* 409 RouterInterfaceInUse */
	CTL_E_GW_IN_USE,      /* 409 RouterExternalGatewayInUseByFloatingIp */
	CTL_E_FIP_ASSOCIATED, /* 409 FloatingIPPortAlreadyAssociated */
	CTL_E_SG_IN_USE,      /* 409 SecurityGroupInUse */
	CTL_E_SG_DEFAULT,     /* 409 SecurityGroupCannotRemoveDefault */
	CTL_E_SGRULE_EXISTS,  /* 409 SecurityGroupRuleExists */
	CTL_E_PORTSEC_SG,     /* 409 PortSecurityAndIPRequiredForSG */
	CTL_E_INTERNAL,	      /* 500 InternalServerError */
	CTL_E_COUNT,
};

/* An API error: code plus a human message for the NeutronError body. */
struct ctl_err {
	enum ctl_errcode code;
	char message[320];
};

/* HTTP status of an error code. */
int ctl_err_status(enum ctl_errcode code);
/* Stable NeutronError "type" of an error code. */
const char *ctl_err_type(enum ctl_errcode code);
/* Set err (may be NULL); returns -EINVAL for 4xx codes, -EIO for 5xx. */
int ctl_err_set(struct ctl_err *err, enum ctl_errcode code, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

/*
 * How a document is decoded. MODEL_CREATE: a POST body (read-only
 * attributes rejected, defaults applied). MODEL_UPDATE: a PUT body merged
 * over the stored object (only updatable attributes may appear in the
 * body; the caller checks that with model_check_update()). MODEL_STORE: a
 * stored document (everything accepted, still validated).
 */
enum model_mode {
	MODEL_CREATE,
	MODEL_UPDATE,
	MODEL_STORE,
};

/* Bits of *present for attributes whose absence has a meaning. */
#define MODEL_HAS_MAC (1u << 0)		  /* port mac_address */
#define MODEL_HAS_FIXED_IPS (1u << 1)	  /* port fixed_ips */
#define MODEL_HAS_PORT_SECURITY (1u << 2) /* port_security_enabled */
#define MODEL_HAS_SEGMENT (1u << 3)	  /* provider:segmentation_id */
#define MODEL_HAS_PROJECT (1u << 4)	  /* project_id or tenant_id */
#define MODEL_HAS_SGS (1u << 5)		  /* port security_groups */

/*
 * Decode and validate obj (a JSON object, borrowed) into *out. Unknown
 * attributes, wrong types, bad values and limits give CTL_E_INVALID_INPUT
 * or CTL_E_BAD_REQUEST in err and -EINVAL. Numbers and booleans are also
 * accepted as strings ("1400", "true"). present (may be NULL) gets
 * MODEL_HAS_* bits. Subnet defaults (gateway, allocation pools) are
 * computed from the cidr. Safe on any input (fuzzed).
 */
int model_network_decode(const json_t *obj, enum model_mode mode,
			 struct ctl_network *out, unsigned *present,
			 struct ctl_err *err);
int model_subnet_decode(const json_t *obj, enum model_mode mode,
			struct ctl_subnet *out, unsigned *present,
			struct ctl_err *err);
int model_port_decode(const json_t *obj, enum model_mode mode,
		      struct ctl_port *out, unsigned *present,
		      struct ctl_err *err);

/*
 * Check a PUT body of the given kind: every key must be a known,
 * updatable attribute. Returns 0 or -EINVAL with err set.
 */
int model_check_update(enum ctl_kind kind, const json_t *body,
		       struct ctl_err *err);

/* True if name is a top-level attribute of kind (for filters, fields). */
bool model_is_attribute(enum ctl_kind kind, const char *name);

/*
 * Encode an object as its API JSON (new reference; NULL only on out of
 * memory). A network's "subnets" is not part of it: the caller adds it.
 */
json_t *model_network_encode(const struct ctl_network *n);
json_t *model_subnet_encode(const struct ctl_subnet *s);
json_t *model_port_encode(const struct ctl_port *p);

/* "DOWN", "ACTIVE", ... */
const char *model_status_name(enum ctl_status s);

/* Fill buf (>= 37 bytes) with a random version 4 UUID. */
void model_uuid_new(char *buf);
/* True if s is a UUID in the canonical 8-4-4-4-12 hex form. */
bool model_is_uuid(const char *s);
/* Format t as "2026-01-02T03:04:05Z" into buf (>= 21 bytes). */
void model_time_format(int64_t t, char *buf, size_t buf_len);

#endif /* SLUICE_MODEL_H */
