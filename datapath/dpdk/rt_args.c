/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt_args.c: sluice-dp's command line, parsed into struct rt_config.
 *
 *   sluice-dp [--socket PATH] [--main-cpu N] [--worker-cpus LIST]
 *             [--hugepages [--huge-dir DIR]] [--mem MB] [--file-prefix P]
 *             [--port NAME=TYPE:ARGS ...] [--cache-entries N]
 *             [--log-level LVL] [--syslog] [--eal 'extra EAL args']
 *             [--ct-max N]
 *
 * Other programs and tests depend on these names: append, never rename.
 * A bad argument is reported by name; main exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

enum {
	RT_MEM_DEFAULT_MB = 256,
	RT_MEM_MIN_MB = 64,
};

static const struct {
	const char *name;
	uint32_t type;
} rt_args_types[] = {
	{"af_xdp", DP_PORT_AF_XDP},
	{"af_packet", DP_PORT_AF_PACKET},
	{"vhost-user", DP_PORT_VHOST_USER},
	{"vhost-user-client", DP_PORT_VHOST_USER_CLIENT},
	{"tap", DP_PORT_TAP},
	{"devargs", DP_PORT_DEVARGS},
	{"vnet", DP_PORT_VNET},
};

int
rt_args_port_type(const char *s)
{
	for (size_t i = 0; i < sizeof(rt_args_types) / sizeof(*rt_args_types);
	     i++)
		if (strcmp(s, rt_args_types[i].name) == 0)
			return (int)rt_args_types[i].type;
	return -EINVAL;
}

const char *
rt_args_port_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(rt_args_types) / sizeof(*rt_args_types);
	     i++)
		if (rt_args_types[i].type == type)
			return rt_args_types[i].name;
	return "?";
}

/* The usage text reads best laid out as it prints. */
/* clang-format off */
static void
rt_args_usage(FILE *f)
{
	fprintf(f,
"usage: sluice-dp [options]\n"
"  --socket PATH          control socket (default %s)\n"
"  --main-cpu N           CPU of the main lcore (default 0)\n"
"  --worker-cpus LIST     worker CPUs, e.g. 1 or 1,2 or 1-3 (default: one\n"
"                         worker on the first CPU other than the main one)\n"
"  --hugepages            use hugepages (default: --no-huge)\n"
"  --huge-dir DIR         hugetlbfs mount to use with --hugepages\n"
"  --mem MB               memory for packet buffers (default %d)\n"
"  --file-prefix P        EAL file prefix (default sluice-dp-<pid>)\n"
"  --port NAME=TYPE:ARGS  add a port at start; numbered 1, 2, ... in order\n"
"                         TYPE: af_xdp, af_packet, tap (ARGS: interface),\n"
"                         vnet (ARGS: interface; the guest keeps TSO/GSO\n"
"                         and checksum offload on),\n"
"                         vhost-user, vhost-user-client (ARGS: socket path),\n"
"                         devargs (ARGS: raw DPDK devargs)\n"
"  --cache-entries N      exact-match cache entries per worker (power of 2)\n"
"  --log-level LVL        error, warn, info (default), debug\n"
"  --syslog               log to syslog instead of stderr\n"
"  --eal 'ARGS'           extra EAL arguments, split on spaces\n"
"  --ct-max N             tracked connections (default %u, about 112 bytes\n"
"                         each: 1M take 112 MiB, mapped as they are used)\n",
		DP_SOCKET_PATH_DEFAULT, RT_MEM_DEFAULT_MB, DP_CT_MAX_DEFAULT);
}
/* clang-format on */

static int
rt_args_uint(const char *opt, const char *s, unsigned long max,
	     unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) {
		fprintf(stderr, "sluice-dp: %s: bad value '%s' (0..%lu)\n", opt,
			s, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

bool
rt_args_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= DP_NAME_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* NAME=TYPE:ARGS */
static int
rt_args_port(const char *s, struct dp_port_spec *spec)
{
	const char *eq = strchr(s, '=');
	const char *colon = eq != NULL ? strchr(eq + 1, ':') : NULL;
	char type[32];
	int t;

	memset(spec, 0, sizeof(*spec));
	if (eq == NULL || colon == NULL) {
		fprintf(stderr,
			"sluice-dp: --port '%s': expected "
			"NAME=TYPE:ARGS\n",
			s);
		return -EINVAL;
	}
	if (!rt_args_name_ok(s, (size_t)(eq - s))) {
		fprintf(stderr,
			"sluice-dp: --port '%s': port name must be 1 to "
			"%d characters of [A-Za-z0-9_.-]\n",
			s, DP_NAME_LEN - 1);
		return -EINVAL;
	}
	if ((size_t)(colon - eq - 1) >= sizeof(type)) {
		fprintf(stderr, "sluice-dp: --port '%s': unknown type\n", s);
		return -EINVAL;
	}
	memcpy(type, eq + 1, (size_t)(colon - eq - 1));
	type[colon - eq - 1] = '\0';
	t = rt_args_port_type(type);
	if (t < 0) {
		fprintf(stderr,
			"sluice-dp: --port '%s': unknown type '%s' "
			"(af_xdp, af_packet, vhost-user, vhost-user-client, "
			"tap, devargs, vnet)\n",
			s, type);
		return -EINVAL;
	}
	if (colon[1] == '\0' || strlen(colon + 1) >= DP_ARGS_LEN) {
		fprintf(stderr,
			"sluice-dp: --port '%s': ARGS must be 1 to %d "
			"characters\n",
			s, DP_ARGS_LEN - 1);
		return -EINVAL;
	}
	memcpy(spec->name, s, (size_t)(eq - s));
	spec->type = (uint32_t)t;
	snprintf(spec->args, sizeof(spec->args), "%s", colon + 1);
	return 0;
}

/* "1", "1,3", "1-3,5" */
static int
rt_args_cpus(const char *s, struct rt_config *cfg)
{
	const char *p = s;

	cfg->n_workers = 0;
	while (*p != '\0') {
		char *end;
		long a, b;

		errno = 0;
		a = strtol(p, &end, 10);
		if (errno != 0 || end == p || a < 0 || a >= CPU_SETSIZE)
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (errno != 0 || end == p || b < a || b >= CPU_SETSIZE)
				goto bad;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			if (cfg->n_workers >= DP_WORKERS_MAX - 1) {
				fprintf(stderr,
					"sluice-dp: --worker-cpus '%s': "
					"at most %d workers\n",
					s, DP_WORKERS_MAX - 1);
				return -EINVAL;
			}
			cfg->worker_cpus[cfg->n_workers++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	if (cfg->n_workers == 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr,
		"sluice-dp: --worker-cpus '%s': expected a CPU list "
		"such as 1 or 1,2 or 1-3\n",
		s);
	return -EINVAL;
}

/* First CPU we may run on other than main, else main itself. */
static int
rt_args_default_worker(int main_cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return main_cpu;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && c != main_cpu)
			return c;
	return main_cpu;
}

int
rt_args_parse(int argc, char **argv, struct rt_config *cfg)
{
	enum {
		O_SOCKET = 256,
		O_MAIN_CPU,
		O_WORKER_CPUS,
		O_HUGEPAGES,
		O_HUGE_DIR,
		O_MEM,
		O_FILE_PREFIX,
		O_PORT,
		O_CACHE,
		O_LOG,
		O_SYSLOG,
		O_EAL,
		O_CT_MAX,
		O_HELP,
	};
	static const struct option opts[] = {
		{"socket", required_argument, NULL, O_SOCKET},
		{"main-cpu", required_argument, NULL, O_MAIN_CPU},
		{"worker-cpus", required_argument, NULL, O_WORKER_CPUS},
		{"hugepages", no_argument, NULL, O_HUGEPAGES},
		{"huge-dir", required_argument, NULL, O_HUGE_DIR},
		{"mem", required_argument, NULL, O_MEM},
		{"file-prefix", required_argument, NULL, O_FILE_PREFIX},
		{"port", required_argument, NULL, O_PORT},
		{"cache-entries", required_argument, NULL, O_CACHE},
		{"log-level", required_argument, NULL, O_LOG},
		{"syslog", no_argument, NULL, O_SYSLOG},
		{"eal", required_argument, NULL, O_EAL},
		{"ct-max", required_argument, NULL, O_CT_MAX},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	bool has_workers = false;
	unsigned long v;
	int o, lvl;

	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_path = DP_SOCKET_PATH_DEFAULT;
	cfg->mem_mb = RT_MEM_DEFAULT_MB;
	cfg->log_level = RT_LOG_INFO;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (o) {
		case O_SOCKET:
			if (optarg[0] == '\0' || strlen(optarg) >= 108) {
				fprintf(stderr,
					"sluice-dp: --socket: path must "
					"be 1 to 107 characters\n");
				return -EINVAL;
			}
			cfg->socket_path = optarg;
			break;
		case O_MAIN_CPU:
			if (rt_args_uint("--main-cpu", optarg, CPU_SETSIZE - 1,
					 &v) != 0)
				return -EINVAL;
			cfg->main_cpu = (int)v;
			break;
		case O_WORKER_CPUS:
			if (rt_args_cpus(optarg, cfg) != 0)
				return -EINVAL;
			has_workers = true;
			break;
		case O_HUGEPAGES:
			cfg->is_hugepages = true;
			break;
		case O_HUGE_DIR:
			cfg->huge_dir = optarg;
			break;
		case O_MEM:
			if (rt_args_uint("--mem", optarg, 1u << 20, &v) != 0)
				return -EINVAL;
			if (v < RT_MEM_MIN_MB) {
				fprintf(stderr,
					"sluice-dp: --mem %lu: at least "
					"%d MB\n",
					v, RT_MEM_MIN_MB);
				return -EINVAL;
			}
			cfg->mem_mb = (unsigned)v;
			break;
		case O_FILE_PREFIX:
			if (!rt_args_name_ok(optarg, strlen(optarg))) {
				fprintf(stderr,
					"sluice-dp: --file-prefix '%s': "
					"use [A-Za-z0-9_.-]\n",
					optarg);
				return -EINVAL;
			}
			cfg->file_prefix = optarg;
			break;
		case O_PORT:
			if (cfg->n_ports >= RT_CLI_PORTS_MAX) {
				fprintf(stderr,
					"sluice-dp: --port: at most %d "
					"on the command line\n",
					RT_CLI_PORTS_MAX);
				return -EINVAL;
			}
			if (rt_args_port(optarg, &cfg->ports[cfg->n_ports]))
				return -EINVAL;
			for (unsigned i = 0; i < cfg->n_ports; i++)
				if (strcmp(cfg->ports[i].name,
					   cfg->ports[cfg->n_ports].name) ==
				    0) {
					fprintf(stderr,
						"sluice-dp: --port "
						"'%s': name used twice\n",
						optarg);
					return -EINVAL;
				}
			cfg->ports[cfg->n_ports].port_no = cfg->n_ports + 1;
			cfg->n_ports++;
			break;
		case O_CACHE:
			if (rt_args_uint("--cache-entries", optarg, 1u << 24,
					 &v) != 0)
				return -EINVAL;
			if (v == 0 || (v & (v - 1)) != 0) {
				fprintf(stderr,
					"sluice-dp: --cache-entries %lu: "
					"must be a power of two\n",
					v);
				return -EINVAL;
			}
			cfg->cache_entries = (unsigned)v;
			break;
		case O_CT_MAX:
			if (rt_args_uint("--ct-max", optarg, DP_CT_MAX_MAX,
					 &v) != 0)
				return -EINVAL;
			if (v == 0) {
				fprintf(stderr,
					"sluice-dp: --ct-max: at least 1\n");
				return -EINVAL;
			}
			cfg->ct_max = (unsigned)v;
			break;
		case O_LOG:
			lvl = rt_log_level_parse(optarg);
			if (lvl < 0) {
				fprintf(stderr,
					"sluice-dp: --log-level '%s': "
					"use error, warn, info or debug\n",
					optarg);
				return -EINVAL;
			}
			cfg->log_level = (enum rt_log_level)lvl;
			break;
		case O_SYSLOG:
			cfg->is_syslog = true;
			break;
		case O_EAL:
			cfg->eal_extra = optarg;
			break;
		case O_HELP:
		case 'h':
			rt_args_usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "sluice-dp: %s: needs a value\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt != 0 && optopt < 256)
				fprintf(stderr,
					"sluice-dp: unknown option "
					"-%c\n",
					optopt);
			else
				fprintf(stderr,
					"sluice-dp: unknown or "
					"incomplete option '%s'\n",
					argv[optind - 1]);
			fprintf(stderr, "(sluice-dp --help lists them)\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice-dp: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (cfg->huge_dir != NULL && !cfg->is_hugepages) {
		fprintf(stderr, "sluice-dp: --huge-dir needs --hugepages\n");
		return -EINVAL;
	}
	if (!has_workers) {
		cfg->n_workers = 1;
		cfg->worker_cpus[0] = rt_args_default_worker(cfg->main_cpu);
	}
	return 0;
}
