/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * binder.h: attaching Neutron ports to the datapath (port binding).
 *
 * A port whose binding:profile names a host interface (a veth or tap whose
 * other end is in a guest's namespace) becomes an AF_PACKET (the safe
 * default) or AF_XDP datapath port on that interface. A vhost-user port
 * becomes a vhost-user datapath port in client mode on a socket under a
 * configured directory; the binding returns that path as vif_details
 * {vhostuser_socket, vhostuser_mode: server}: the mode is QEMU's side,
 * QEMU serves the socket and the datapath reconnects to it after a
 * restart, as Neutron's dpdkvhostuserclient does.
 *
 * The datapath port is named after the Neutron port ("nvif" + the id's
 * letters and digits, truncated to fit), so after a restart of sluiced the
 * binder finds the ports it made (binder_sync) instead of making them
 * twice; ports of other names (services' ports) are never touched.
 * binder_poll() reads the datapath's port list and reports a status
 * change (DOWN -> ACTIVE when the datapath port is up, and back) through
 * the callback.
 *
 * Concurrency: one thread (sluiced's loop); calls block on the datapath
 * socket through net_dp.h.
 */
#ifndef SLUICE_BINDER_H
#define SLUICE_BINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_proto.h"
#include "net_dp.h"
#include "net_view.h"

struct binder_config {
	uint32_t kernel_type; /* DP_PORT_AF_PACKET (0 = default) or
			       * DP_PORT_AF_XDP */
	char vhost_dir[128];  /* "" = /run/sluice/vhost */
};

/* What a binding yields, for binding:vif_type and binding:vif_details. */
struct binder_vif {
	uint32_t dp_port;
	char vif_type[16];		    /* "tap" or "vhostuser" */
	char vhostuser_socket[DP_ARGS_LEN]; /* vhost-user only */
	char vhostuser_mode[8];		    /* "server" (QEMU's side) */
};

/* Status callback: port_id is borrowed for the call. */
typedef void (*binder_status_fn)(void *arg, const char *port_id,
				 uint32_t dp_port, bool is_up);

struct binder;

/* dp is borrowed and must outlive the binder. cb may be NULL. */
int binder_create(const struct binder_config *cfg, const struct net_dp *dp,
		  binder_status_fn cb, void *cb_arg, struct binder **out);
void binder_destroy(struct binder *b);

/*
 * Read a port's binding:profile (a JSON object, as stored) into p->vif and
 * p->host_ifname:
 *   {"interface": "veth-a1"}   a host interface: NET_VIF_KERNEL
 *   {"vhostuser": true}        a vhost-user socket: NET_VIF_VHOSTUSER
 *   {} or NULL                 not bound here: NET_VIF_NONE
 * Other keys are ignored. -EINVAL (reason in err) for a profile that is
 * not an object, an interface name that is empty, too long or not a
 * string, or both kinds at once.
 */
int binder_profile_parse(const char *profile_json, struct net_view_port *p,
			 char *err, size_t err_len);

/* The datapath port name for a Neutron port id. */
void binder_dp_name(const char *port_id, char name[DP_NAME_LEN]);

/*
 * Learn the datapath ports that exist already (after a restart), so that
 * binder_bind() adopts them. 0 or -errno.
 */
int binder_sync(struct binder *b, char *err, size_t err_len);

/*
 * Attach p (p->vif says how) and fill out. Idempotent: a port bound
 * already (or found by binder_sync) is returned as it is. -EINVAL when
 * p->vif is NET_VIF_NONE or a kernel binding names no interface; -errno
 * from the datapath (the interface does not exist: -ENODEV, say).
 */
int binder_bind(struct binder *b, const struct net_view_port *p,
		struct binder_vif *out, char *err, size_t err_len);

/* Detach; -ENOENT when not bound. */
int binder_unbind(struct binder *b, const char *port_id, char *err,
		  size_t err_len);

/*
 * Detach every binding whose port keep() refuses, and every datapath port
 * adopted by binder_sync() that no binder_bind() claimed (its Neutron
 * port was deleted while sluiced was down). Returns the number detached
 * or -errno.
 */
typedef bool (*binder_keep_fn)(void *arg, const char *port_id);
int binder_prune(struct binder *b, binder_keep_fn keep, void *arg, char *err,
		 size_t err_len);

/* Datapath port number of a bound port, 0 if not bound. */
uint32_t binder_dp_port(const struct binder *b, const char *port_id);

/*
 * Read the datapath's port list and call the callback for each bound port
 * whose is_up changed (first poll: every bound port that is up). A bound
 * port missing from the datapath (sluice-dp restarted empty) is reported
 * down and forgotten, so the next binder_bind() makes it again.
 */
int binder_poll(struct binder *b, char *err, size_t err_len);

#endif /* SLUICE_BINDER_H */
