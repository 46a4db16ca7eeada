/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluice_dp.c: main of sluice-dp, the datapath process. It parses the
 * command line (rt_args.c), starts the DPDK EAL (without hugepages unless
 * asked), creates the packet buffer pool, the pipeline (pipeline.h) and
 * the protocol server (dp_ctl.h), launches one worker per worker lcore
 * (rt_worker.c), adds the command line's ports (rt_port.c) and then runs
 * the main lcore's loop: serve the control socket, deliver punted packets
 * to subscribed clients (packet-in), inject packet-outs.
 *
 * The datapath owes nothing to its clients: when they disconnect it keeps
 * forwarding with the tables it has. SIGTERM or SIGINT stops it cleanly:
 * workers stopped, ports closed and removed, socket file removed.
 *
 * Concurrency: this file runs on the main lcore only (the control thread
 * of pipeline.h and dp_ctl.h).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring_elem.h>

#include "dp_ctl.h"
#include "rt.h"

enum {
	RT_MBUFS_MAX = 131071,
	RT_MBUFS_MIN = 8191,
	RT_MBUF_CACHE = 256,
	RT_POLL_IDLE_MS = 10, /* control poll when nothing was punted */
	RT_POLL_BUSY_MS = 1,  /* ... shortly after a punt */
};

static volatile sig_atomic_t rt_main_stop;

static void
rt_main_on_signal(int sig)
{
	(void)sig;
	rt_main_stop = 1;
}

static int
rt_main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rt_main_on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -errno;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -errno;
	return 0;
}

/* EAL arguments from the config. Strings live in buf. */
struct rt_eal_args {
	int argc;
	char *argv[RT_EAL_ARGS_MAX];
	char lcores[256];
	char mem[16];
	char prefix[64];
	char log[16];
	char extra[1024];
};

/*
 * The PCI bus is scanned only for the PCI devices named by --port devargs
 * (each allowed with -a), else disabled: a scan would try every device of
 * the host, including NICs the kernel uses. Hot-adding a PCI port later
 * needs it allowed at start (--eal '-a ADDR').
 */
static void
rt_main_pci_args(const struct rt_config *cfg, struct rt_eal_args *a)
{
	bool has_pci = false;

	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct dp_port_spec *s = &cfg->ports[i];
		size_t l = strcspn(s->args, ",");

		if (s->type != DP_PORT_DEVARGS ||
		    memchr(s->args, ':', l) == NULL ||
		    a->argc >= RT_EAL_ARGS_MAX - 16)
			continue;
		a->argv[a->argc++] = (char *)"-a";
		a->argv[a->argc++] = (char *)s->args;
		has_pci = true;
	}
	if (!has_pci &&
	    (cfg->eal_extra == NULL || strstr(cfg->eal_extra, "-a") == NULL))
		a->argv[a->argc++] = (char *)"--no-pci";
}

static int
rt_main_eal_args(const struct rt_config *cfg, struct rt_eal_args *a)
{
	static const char *const eal_levels[] = {
		[RT_LOG_ERR] = "4",
		[RT_LOG_WARN] = "5",
		[RT_LOG_INFO] = "6",
		[RT_LOG_DEBUG] = "8",
	};
	size_t off;
	int n;

	a->argc = 0;
	a->argv[a->argc++] = (char *)"sluice-dp";
	off = (size_t)snprintf(a->lcores, sizeof(a->lcores), "0@%d",
			       cfg->main_cpu);
	for (unsigned i = 0; i < cfg->n_workers; i++) {
		n = snprintf(a->lcores + off, sizeof(a->lcores) - off, ",%u@%d",
			     i + 1, cfg->worker_cpus[i]);
		if (n < 0 || (size_t)n >= sizeof(a->lcores) - off)
			return -E2BIG;
		off += (size_t)n;
	}
	a->argv[a->argc++] = (char *)"--lcores";
	a->argv[a->argc++] = a->lcores;
	snprintf(a->mem, sizeof(a->mem), "%u", cfg->mem_mb);
	a->argv[a->argc++] = (char *)"-m";
	a->argv[a->argc++] = a->mem;
	if (cfg->file_prefix != NULL)
		snprintf(a->prefix, sizeof(a->prefix), "%s", cfg->file_prefix);
	else
		snprintf(a->prefix, sizeof(a->prefix), "sluice-dp-%ld",
			 (long)getpid());
	a->argv[a->argc++] = (char *)"--file-prefix";
	a->argv[a->argc++] = a->prefix;
	if (cfg->is_hugepages) {
		a->argv[a->argc++] = (char *)"--huge-unlink";
		if (cfg->huge_dir != NULL) {
			a->argv[a->argc++] = (char *)"--huge-dir";
			a->argv[a->argc++] = (char *)cfg->huge_dir;
		}
	} else {
		a->argv[a->argc++] = (char *)"--no-huge";
	}
	a->argv[a->argc++] = (char *)"--no-telemetry";
	rt_main_pci_args(cfg, a);
	snprintf(a->log, sizeof(a->log), "%s", eal_levels[cfg->log_level]);
	a->argv[a->argc++] = (char *)"--log-level";
	a->argv[a->argc++] = a->log;
	if (cfg->eal_extra != NULL) {
		char *save = NULL, *tok;

		if (strlen(cfg->eal_extra) >= sizeof(a->extra))
			return -E2BIG;
		snprintf(a->extra, sizeof(a->extra), "%s", cfg->eal_extra);
		for (tok = strtok_r(a->extra, " \t", &save); tok != NULL;
		     tok = strtok_r(NULL, " \t", &save)) {
			if (a->argc >= RT_EAL_ARGS_MAX - 1)
				return -E2BIG;
			a->argv[a->argc++] = tok;
		}
	}
	a->argv[a->argc] = NULL;
	return 0;
}

/* Remove what the EAL left in its runtime directory. */
static void
rt_main_clean_runtime_dir(const char *prefix)
{
	char dir[256], path[512];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Deliver one punted mbuf as packet-in; frees it. */
static void
rt_main_packet_in(struct rt *rt, struct rte_mbuf *m, uint32_t in_port,
		  uint32_t reason)
{
	static uint8_t buf[DP_FRAME_MAX];
	uint32_t len = m->pkt_len < DP_FRAME_MAX ? m->pkt_len : DP_FRAME_MAX;
	const uint8_t *data;

	data = rte_pktmbuf_read(m, 0, len, buf);
	if (data != NULL) {
		dp_ctl_packet_in(rt->ctl, in_port, reason, data, len);
		rt->punts_delivered++;
	}
	rte_pktmbuf_free(m);
}

/* Drain the workers' punt rings. Returns packets handled. */
static unsigned
rt_main_drain(struct rt *rt)
{
	struct rt_punt e[DP_BURST];
	unsigned total = 0;

	for (unsigned w = 0; w < rt->n_workers; w++) {
		unsigned k;

		k = rte_ring_sc_dequeue_burst_elem(rt->workers[w].punt_ring, e,
						   sizeof(*e), DP_BURST, NULL);
		for (unsigned i = 0; i < k; i++)
			rt_main_packet_in(rt, e[i].mbuf, e[i].in_port,
					  e[i].reason);
		total += k;
	}
	return total;
}

/* Transmit one mbuf from the main lcore's queue; frees it on failure. */
static int
rt_main_tx(struct rt *rt, uint32_t port, struct rte_mbuf *m, char *err,
	   size_t err_len)
{
	int rc = rt_port_tx(rt->ptab, port, (uint16_t)rt->n_workers, &m, 1);

	if (rc == 1)
		return 0;
	rte_pktmbuf_free(m);
	if (rc < 0) {
		snprintf(err, err_len, "packet-out: no port %u", port);
		return -ENOENT;
	}
	snprintf(err, err_len, "packet-out: port %u: tx queue full", port);
	return -ENOBUFS;
}

/* Packet-out through the tables, as if received on in_port. */
static int
rt_main_out_tables(struct rt *rt, struct rte_mbuf *m, uint32_t in_port,
		   char *err, size_t err_len)
{
	static struct dp_burst_out out;
	struct dp_packet pkt, *pp = &pkt;
	int rc = 0;

	rt->main_clone.n_used = 0;
	rt_worker_wrap(m, in_port, &pkt);
	dp_worker_online(rt->main_dw);
	dp_worker_process(rt->main_dw, &pp, 1, &out);
	dp_worker_offline(rt->main_dw);
	for (unsigned i = 0; i < out.n_tx; i++) {
		rt_worker_writeback(out.tx[i]);
		if (rt_main_tx(rt, out.tx_port[i], out.tx[i]->opaque, err,
			       err_len) != 0)
			rc = -ENOBUFS;
	}
	for (unsigned i = 0; i < out.n_punt; i++) {
		rt_worker_writeback(out.punt[i]);
		rt_main_packet_in(rt, out.punt[i]->opaque, out.punt[i]->in_port,
				  out.punt[i]->punt_reason);
	}
	for (unsigned i = 0; i < out.n_drop; i++)
		rte_pktmbuf_free(out.drop[i]->opaque);
	return rc;
}

static int
rt_main_packet_out(void *ctx, const struct dp_packet_msg *msg,
		   const uint8_t *frame, char *err, size_t err_len)
{
	struct rt *rt = ctx;
	struct rte_mbuf *m;
	uint32_t port;
	char *d;

	if (msg->len == 0 || msg->len > RTE_MBUF_DEFAULT_DATAROOM) {
		snprintf(err, err_len, "packet-out: frame of %u bytes (1..%u)",
			 msg->len, RTE_MBUF_DEFAULT_DATAROOM);
		return -EMSGSIZE;
	}
	m = rte_pktmbuf_alloc(rt->pool);
	if (m == NULL) {
		snprintf(err, err_len, "packet-out: no packet buffer");
		return -ENOBUFS;
	}
	d = rte_pktmbuf_append(m, (uint16_t)msg->len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		snprintf(err, err_len, "packet-out: frame too long");
		return -EMSGSIZE;
	}
	memcpy(d, frame, msg->len);
	if (msg->port == DP_PORT_NONE)
		return rt_main_out_tables(rt, m, msg->in_port, err, err_len);
	port = msg->port == DP_PORT_IN_PORT ? msg->in_port : msg->port;
	return rt_main_tx(rt, port, m, err, err_len);
}

static int
rt_main_port_add(void *ctx, const struct dp_port_spec *spec,
		 struct dp_port_info *out, char *err, size_t err_len)
{
	int rc = rt_port_add(ctx, spec, out, err, err_len);

	/* A client can trigger this at will: rate limited. */
	if (rc != 0)
		RT_WARN_RL("protocol: %s", err);
	return rc;
}

static int
rt_main_port_del(void *ctx, const struct dp_port_ref *ref, char *err,
		 size_t err_len)
{
	int rc = rt_port_del(ctx, ref, err, err_len);

	if (rc != 0)
		RT_WARN_RL("protocol: %s", err);
	return rc;
}

static int
rt_main_port_list(void *ctx, struct dp_port_info *out, unsigned max,
		  unsigned *n)
{
	return rt_port_list(ctx, out, max, n);
}

static void
rt_main_stats(void *ctx, struct dp_stats_reply *inout)
{
	struct rt *rt = ctx;
	uint64_t n = 0;

	for (unsigned w = 0; w < rt->n_workers; w++)
		n += rt->workers[w].stats.punts;
	inout->punt_packets = n;
}

static int
rt_main_pool(struct rt *rt)
{
	const uint64_t big = RTE_PKTMBUF_HEADROOM + RT_AFP_FRAME + 192;
	uint64_t mem = (uint64_t)rt->cfg->mem_mb * 1024 * 1024;
	unsigned n_big = (unsigned)(mem / 16 / big), n, n_vnet;

	/*
	 * Half the memory for packet buffers: a sixteenth of it big ones
	 * (AF_PACKET rx of whole reassembled datagrams, rt.h), the rest of
	 * that half the usual 2 KiB ones.
	 */
	if (n_big > RT_BIG_MBUFS)
		n_big = RT_BIG_MBUFS;
	if (n_big < 256)
		n_big = 256;
	n = (unsigned)((mem / 2 - n_big * big) /
		       (RTE_MBUF_DEFAULT_BUF_SIZE + 192));
	if (n > RT_MBUFS_MAX)
		n = RT_MBUFS_MAX;
	if (n < RT_MBUFS_MIN)
		n = RT_MBUFS_MIN;
	/*
	 * A quarter of them for vnet ports' rx, in a pool of their own
	 * (rt.h, pool_vnet: never an AF_XDP port's UMEM); made here with
	 * the rest, since the memory left after start-up is the tables'.
	 */
	n_vnet = n / 4 < RT_VNET_MBUFS ? n / 4 : RT_VNET_MBUFS;
	n -= n_vnet;
	rt->pool_vnet = rte_pktmbuf_pool_create(
		"sluice_vnet", n_vnet, RT_MBUF_CACHE, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (rt->pool_vnet == NULL) {
		RT_ERR("packet buffers: cannot create the vnet ports' pool of "
		       "%u: %s (raise --mem)",
		       n_vnet, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rt->pool = rte_pktmbuf_pool_create("sluice_mbufs", n, RT_MBUF_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (rt->pool == NULL) {
		RT_ERR("packet buffers: cannot create a pool of %u: %s "
		       "(raise --mem)",
		       n, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	RT_INFO("packet buffers: %u of %u bytes (and %u for vnet ports)", n,
		RTE_MBUF_DEFAULT_BUF_SIZE, n_vnet);
	rt->pool_big = rte_pktmbuf_pool_create(
		"sluice_big", n_big, 64, 0, RTE_PKTMBUF_HEADROOM + RT_AFP_FRAME,
		(int)rte_socket_id());
	rt->pool_ind = rte_pktmbuf_pool_create("sluice_ind", RT_MBUFS_MIN,
					       RT_MBUF_CACHE, 0, 0,
					       (int)rte_socket_id());
	if (rt->pool_big == NULL || rt->pool_ind == NULL) {
		RT_ERR("packet buffers: cannot create the pools for large "
		       "frames (%u of %u bytes): %s (raise --mem)",
		       n_big, RTE_PKTMBUF_HEADROOM + RT_AFP_FRAME,
		       rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int
rt_main_workers(struct rt *rt)
{
	unsigned lcore, idx = 0;
	char name[32];

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct rt_worker *w = &rt->workers[idx];

		if (idx >= rt->n_workers)
			break;
		w->rt = rt;
		w->idx = idx;
		w->lcore = lcore;
		snprintf(name, sizeof(name), "sluice_punt%u", idx);
		w->punt_ring = rte_ring_create_elem(
			name, sizeof(struct rt_punt), RT_PUNT_RING,
			(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->punt_ring == NULL) {
			RT_ERR("worker %u: punt ring: %s", idx,
			       rte_strerror(rte_errno));
			return -ENOMEM;
		}
		idx++;
	}
	if (idx != rt->n_workers) {
		RT_ERR("workers: %u lcores for %u workers", idx, rt->n_workers);
		return -EINVAL;
	}
	for (idx = 0; idx < rt->n_workers; idx++) {
		struct rt_worker *w = &rt->workers[idx];
		int rc = rte_eal_remote_launch(rt_worker_main, w, w->lcore);

		if (rc != 0) {
			RT_ERR("worker %u: launch on lcore %u: %s", idx,
			       w->lcore, rte_strerror(-rc));
			return rc;
		}
		while (!__atomic_load_n(&w->is_ready, __ATOMIC_ACQUIRE))
			usleep(100);
		if (w->init_error != 0) {
			RT_ERR("worker %u: %s", idx, strerror(-w->init_error));
			return w->init_error;
		}
	}
	return 0;
}

static void
rt_main_stop_workers(struct rt *rt)
{
	struct rt_punt e[DP_BURST];

	__atomic_store_n(&rt->is_stopping, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	for (unsigned w = 0; w < rt->n_workers; w++) {
		struct rte_ring *r = rt->workers[w].punt_ring;
		unsigned k;

		if (r == NULL)
			continue;
		while ((k = rte_ring_sc_dequeue_burst_elem(r, e, sizeof(*e),
							   DP_BURST, NULL)))
			for (unsigned i = 0; i < k; i++)
				rte_pktmbuf_free(e[i].mbuf);
		rte_ring_free(r);
		rt->workers[w].punt_ring = NULL;
	}
}

static int
rt_main_loop(struct rt *rt)
{
	uint64_t hz = rte_get_timer_hz(), last_punt = 0;

	while (!rt_main_stop) {
		unsigned n = rt_main_drain(rt);
		uint64_t now = rte_get_timer_cycles();
		int timeout, rc;

		if (n > 0)
			last_punt = now;
		if (n > 0)
			timeout = 0;
		else if (now - last_punt < hz / 10)
			timeout = RT_POLL_BUSY_MS;
		else
			timeout = RT_POLL_IDLE_MS;
		rc = dp_ctl_poll(rt->ctl, timeout);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
			RT_ERR("control socket: %s", strerror(-rc));
			return rc;
		}
	}
	RT_INFO("signal received: stopping");
	return 0;
}

int
main(int argc, char **argv)
{
	static struct rt_config cfg;
	static struct rt_eal_args eal;
	static struct rt rt;
	struct dp_pipeline_config plc;
	struct dp_ctl_backend be;
	struct dp_packet_ops main_ops;
	int rc, status = 1;

	rc = rt_args_parse(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	rt_log_init(cfg.log_level, cfg.is_syslog);
	rt_log_hook_bpf();
	if (rt_main_eal_args(&cfg, &eal) != 0) {
		fprintf(stderr, "sluice-dp: --eal: too many EAL arguments\n");
		return 2;
	}
	rc = rte_eal_init(eal.argc, eal.argv);
	if (rc < 0) {
		RT_ERR("EAL init failed: %s (%s)", rte_strerror(rte_errno),
		       cfg.is_hugepages
			       ? "--hugepages: are pages reserved in "
				 "/proc/sys/vm/nr_hugepages and hugetlbfs "
				 "mounted?"
			       : "check --eal, --mem, --main-cpu, "
				 "--worker-cpus");
		rt_main_clean_runtime_dir(eal.prefix);
		return 1;
	}
	rt.cfg = &cfg;
	rt.n_workers = cfg.n_workers;
	if (getrandom(&rt.boot_id, sizeof(rt.boot_id), 0) !=
	    (ssize_t)sizeof(rt.boot_id))
		rt.boot_id = rte_get_timer_cycles();
	if (rt_main_signals() != 0) {
		RT_ERR("signals: %s", strerror(errno));
		goto eal_cleanup;
	}
	if (rt_main_pool(&rt) != 0)
		goto eal_cleanup;
	memset(&plc, 0, sizeof(plc));
	plc.n_workers = rt.n_workers + 1; /* + the main lcore's packet-out */
	plc.cache_entries = cfg.cache_entries;
	plc.ct_max = cfg.ct_max;
	rc = dp_pipeline_create(&plc, &rt.pl);
	if (rc != 0) {
		RT_ERR("pipeline: %s", strerror(-rc));
		goto free_pool;
	}
	rc = rt_port_init(&rt);
	if (rc != 0)
		goto destroy_pipeline;
	memset(&be, 0, sizeof(be));
	be.port_add = rt_main_port_add;
	be.port_del = rt_main_port_del;
	be.port_list = rt_main_port_list;
	be.packet_out = rt_main_packet_out;
	be.stats = rt_main_stats;
	be.ctx = &rt;
	be.n_workers = rt.n_workers;
	be.boot_id = rt.boot_id;
	rc = dp_ctl_create(cfg.socket_path, rt.pl, &be, &rt.ctl);
	if (rc != 0) {
		RT_ERR("control socket %s: %s", cfg.socket_path, strerror(-rc));
		goto fini_ports;
	}
	rt.main_clone.pool = rt.pool;
	rt.main_clone.pool_big = rt.pool_big;
	main_ops.clone = rt_worker_clone;
	main_ops.ctx = &rt.main_clone;
	rc = dp_worker_create(rt.pl, rt.n_workers, &main_ops, &rt.main_dw);
	if (rc != 0) {
		RT_ERR("pipeline: main lcore worker: %s", strerror(-rc));
		goto destroy_ctl;
	}
	dp_worker_offline(rt.main_dw);
	rc = rt_main_workers(&rt);
	if (rc != 0)
		goto stop_workers;
	for (unsigned i = 0; i < cfg.n_ports; i++) {
		char err[DP_ERR_LEN];

		rc = rt_port_add(&rt, &cfg.ports[i], NULL, err, sizeof(err));
		if (rc != 0) {
			RT_ERR("--port %s: %s", cfg.ports[i].name, err);
			goto del_ports;
		}
	}
	RT_INFO("running: %u worker%s, %u port%s, socket %s, %s", rt.n_workers,
		rt.n_workers == 1 ? "" : "s", rt.n_ports,
		rt.n_ports == 1 ? "" : "s", cfg.socket_path,
		cfg.is_hugepages ? "hugepages" : "no hugepages");
	if (rt_main_loop(&rt) == 0)
		status = 0;
del_ports:
	rt_main_stop_workers(&rt);
	rt_port_del_all(&rt);
	goto destroy_main_dw;
stop_workers:
	rt_main_stop_workers(&rt);
destroy_main_dw:
	dp_worker_online(rt.main_dw);
	dp_worker_destroy(rt.main_dw);
destroy_ctl:
	dp_ctl_destroy(rt.ctl);
fini_ports:
	rt_port_fini(&rt);
destroy_pipeline:
	dp_pipeline_destroy(rt.pl);
free_pool:
	rte_mempool_free(rt.pool);
	rte_mempool_free(rt.pool_big);
	rte_mempool_free(rt.pool_ind);
	rte_mempool_free(rt.pool_vnet);
eal_cleanup:
	rte_eal_cleanup();
	rt_main_clean_runtime_dir(eal.prefix);
	if (status == 0)
		RT_INFO("stopped");
	return status;
}
