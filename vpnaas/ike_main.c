/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_main.c: sluice-ike, the IKEv2 engine over real UDP sockets (ports
 * 500 and 4500, the latter demultiplexed by the non-ESP marker inside the
 * engine) for one connection given by command-line options or a config
 * file of "option = value" lines. It is the interop vehicle until sluiced
 * embeds the engine: state changes are logged to stderr; negotiated child
 * SAs (SPIs, algorithms, selectors, never keys unless --debug-keys) are
 * written to stdout one line each. Signals: SIGUSR1 rekeys the child SA,
 * SIGUSR2 the IKE SA, SIGHUP prints the status, SIGTERM/SIGINT delete the
 * IKE SA and exit. No ESP is processed here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike.h"

struct prog {
	struct ike_engine *e;
	struct ike_conn_config cfg;
	struct ike_engine_config ecfg;
	uint32_t conn;
	int fd500, fd4500;
	bool initiate;
	bool debug_keys;
	bool exit_on_down;
	bool down_seen;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
log_sink(enum ike_log_level lvl, const char *line)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s: %s\n", tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, names[lvl], line);
}

static void
to_sin(const struct ike_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->ip, 16);
		s6->sin6_port = htons(a->port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->ip, 4);
		s4->sin_port = htons(a->port);
		*len = sizeof(*s4);
	}
}

static void
from_sin(const struct sockaddr_storage *ss, struct ike_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		a->family = AF_INET6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		a->family = AF_INET;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	}
}

static void
on_send(void *arg, const uint8_t *data, size_t len,
	const struct ike_addr *local, const struct ike_addr *remote)
{
	struct prog *p = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = local->port == p->ecfg.natt_port ? p->fd4500 : p->fd500;

	to_sin(remote, &ss, &sl);
	if (sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl) < 0)
		fprintf(stderr, "sluice-ike: sendto: %s\n", strerror(errno));
}

static const char *
encr_name(const struct ike_cipher *c)
{
	switch (c->encr) {
	case IKE_ENCR_AES_GCM_16:
		return c->key_bits == 128 ? "aes128gcm16" : "aes256gcm16";
	case IKE_ENCR_CHACHA20_POLY1305:
		return "chacha20poly1305";
	case IKE_ENCR_AES_CBC:
		return c->key_bits == 128 ? "aes128" : "aes256";
	default:
		return "?";
	}
}

static const char *
integ_name(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return "sha256";
	case IKE_INTEG_HMAC_SHA2_384_192:
		return "sha384";
	case IKE_INTEG_HMAC_SHA2_512_256:
		return "sha512";
	default:
		return "none";
	}
}

static void
ts_str(const struct ike_ts_pl *tp, char *buf, size_t len)
{
	size_t off = 0;
	uint8_t i;

	buf[0] = 0;
	for (i = 0; i < tp->n_ts && off < len; i++) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int af = tp->ts[i].type == IKE_TS_IPV6 ? AF_INET6 : AF_INET;

		inet_ntop(af, tp->ts[i].start, a, sizeof(a));
		inet_ntop(af, tp->ts[i].end, b, sizeof(b));
		off += (size_t)snprintf(buf + off, len - off, "%s%s-%s",
					i ? "," : "", a, b);
	}
}

static void
hex(const char *name, const uint8_t *d, size_t n)
{
	size_t i;

	printf(" %s=", name);
	for (i = 0; i < n; i++)
		printf("%02x", d[i]);
}

static void
print_child(const char *what, const struct ike_child_info *ci, bool keys)
{
	char l[256], r[256];

	ts_str(&ci->ts_local, l, sizeof(l));
	ts_str(&ci->ts_remote, r, sizeof(r));
	printf("%s conn=%s spi_in=%08x spi_out=%08x encr=%s integ=%s esn=%d "
	       "pfs=%u local_ts=%s remote_ts=%s encap=%d ports=%u/%u",
	       what, ci->conn_name, ci->spi_in, ci->spi_out,
	       encr_name(&ci->cipher), integ_name(ci->cipher.integ), ci->esn,
	       ci->pfs_group, l, r, ci->encap, ci->local.port, ci->remote.port);
	if (ci->replaces_spi_in)
		printf(" replaces=%08x", ci->replaces_spi_in);
	if (keys && ci->enc_key_in) {
		hex("enc_in", ci->enc_key_in, ci->enc_key_len);
		hex("enc_out", ci->enc_key_out, ci->enc_key_len);
		if (ci->integ_key_len) {
			hex("integ_in", ci->integ_key_in, ci->integ_key_len);
			hex("integ_out", ci->integ_key_out, ci->integ_key_len);
		}
	}
	printf("\n");
	fflush(stdout);
}

static int
on_install(void *arg, const struct ike_child_info *ci)
{
	struct prog *p = arg;

	print_child("child-install", ci, p->debug_keys);
	return 0;
}

static void
on_remove(void *arg, const struct ike_child_info *ci)
{
	(void)arg;
	print_child("child-remove", ci, false);
}

static void
on_event(void *arg, const struct ike_event *ev)
{
	struct prog *p = arg;

	printf("event %s conn=%s reason=%s spi_i=%016llx spi_r=%016llx",
	       ike_event_name(ev->type), ev->conn_name ? ev->conn_name : "?",
	       ike_reason_name(ev->reason), (unsigned long long)ev->spi_i,
	       (unsigned long long)ev->spi_r);
	if (ev->type == IKE_EV_IKE_DOWN && ev->reason == IKE_R_PEER_DEAD)
		printf(" action=%s", ev->action == IKE_DPD_RESTART ? "restart"
				     : ev->action == IKE_DPD_HOLD  ? "hold"
								   : "clear");
	printf("\n");
	fflush(stdout);
	if (ev->type == IKE_EV_IKE_DOWN)
		p->down_seen = true;
}

static void
print_status(struct prog *p)
{
	static const char *const st[] = {"DOWN", "CONNECTING", "UP"};
	struct ike_conn_status s;
	struct ike_stats es;
	unsigned long long drops = 0;
	int i;

	if (ike_engine_conn_status(p->e, p->conn, &s))
		return;
	ike_engine_stats(p->e, &es);
	for (i = 0; i < IKE_ERR__COUNT; i++)
		drops += es.drops[i];
	printf("status conn=%s state=%s reason=%s spi_i=%016llx "
	       "spi_r=%016llx natt=%d children=%u rx=%llu tx=%llu "
	       "retransmits=%llu "
	       "drops=%llu child_rekeys=%llu ike_rekeys=%llu cookies_sent=%llu "
	       "invalid_ke_sent=%llu invalid_ke_rcvd=%llu "
	       "child_refused=%llu\n",
	       p->cfg.name, st[s.state], ike_reason_name(s.reason),
	       (unsigned long long)s.spi_i, (unsigned long long)s.spi_r, s.natt,
	       s.n_children, (unsigned long long)es.rx,
	       (unsigned long long)es.tx, (unsigned long long)es.retransmits,
	       drops, (unsigned long long)es.child_rekeys,
	       (unsigned long long)es.ike_rekeys,
	       (unsigned long long)es.cookies_sent,
	       (unsigned long long)es.invalid_ke_sent,
	       (unsigned long long)es.invalid_ke_rcvd,
	       (unsigned long long)es.child_refused);
	fflush(stdout);
}

/* Options. */

static int
parse_addr(const char *s, struct ike_addr *a)
{
	uint16_t port = a->port;

	memset(a, 0, sizeof(*a));
	a->port = port;
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int
parse_cidrs(const char *s, struct ike_cidr *c, uint8_t *n)
{
	char buf[512], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');
		struct ike_addr a;
		long pl;

		if (*n == IKE_MAX_CIDRS)
			return -EINVAL;
		if (slash)
			*slash = 0;
		if (parse_addr(tok, &a))
			return -EINVAL;
		pl = slash ? strtol(slash + 1, NULL, 10)
			   : (a.family == AF_INET ? 32 : 128);
		if (pl < 0 || pl > (a.family == AF_INET ? 32 : 128))
			return -EINVAL;
		c[*n].family = a.family;
		memcpy(c[*n].ip, a.ip, 16);
		c[*n].prefix = (uint8_t)pl;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static int
parse_id(const char *s, struct ike_id *id)
{
	memset(id, 0, sizeof(*id));
	if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = IKE_ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	}
	if (!strncmp(s, "keyid:", 6)) {
		s += 6;
		id->type = IKE_ID_KEY_ID;
	} else {
		if (*s == '@')
			s++;
		id->type = IKE_ID_FQDN;
	}
	if (strlen(s) == 0 || strlen(s) > sizeof(id->data))
		return -EINVAL;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
	return 0;
}

static int
read_psk_file(const char *path, struct ike_conn_config *c)
{
	FILE *f = fopen(path, "r");
	char buf[IKE_PSK_MAX + 2];
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0 || n > IKE_PSK_MAX)
		return -EINVAL;
	memcpy(c->psk, buf, n);
	c->psk_len = (uint16_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static const struct option longopts[] = {
	{"config", required_argument, NULL, 'c'},
	{"name", required_argument, NULL, 'n'},
	{"local", required_argument, NULL, 'l'},
	{"peer", required_argument, NULL, 'p'},
	{"local-id", required_argument, NULL, 'L'},
	{"peer-id", required_argument, NULL, 'P'},
	{"psk", required_argument, NULL, 'k'},
	{"psk-file", required_argument, NULL, 'K'},
	{"ike", required_argument, NULL, 'i'},
	{"esp", required_argument, NULL, 'e'},
	{"local-ts", required_argument, NULL, 't'},
	{"peer-ts", required_argument, NULL, 'T'},
	{"initiate", no_argument, NULL, 'I'},
	{"responder", no_argument, NULL, 'R'},
	{"ike-lifetime", required_argument, NULL, 1},
	{"child-lifetime", required_argument, NULL, 2},
	{"dpd-interval", required_argument, NULL, 3},
	{"dpd-timeout", required_argument, NULL, 4},
	{"dpd-action", required_argument, NULL, 5},
	{"retransmit-base-ms", required_argument, NULL, 6},
	{"retransmit-tries", required_argument, NULL, 7},
	{"ike-port", required_argument, NULL, 8},
	{"natt-port", required_argument, NULL, 9},
	{"force-encap", no_argument, NULL, 10},
	{"debug-keys", no_argument, NULL, 11},
	{"exit-on-down", no_argument, NULL, 12},
	{"cookie-threshold", required_argument, NULL, 13},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-ike [--config FILE] --local IP --peer IP\n"
		"         --local-id ID --peer-id ID (--psk S | --psk-file F)\n"
		"         --ike PROPOSALS --esp PROPOSALS\n"
		"         --local-ts CIDR[,CIDR] --peer-ts CIDR[,CIDR]\n"
		"         [--initiate | --responder] [--ike-lifetime S]\n"
		"         [--child-lifetime S] [--dpd-interval S]\n"
		"         [--dpd-timeout S]\n"
		"         [--dpd-action clear|hold|restart] [--force-encap]\n"
		"         [--retransmit-base-ms MS] [--retransmit-tries N]\n"
		"         [--ike-port P] [--natt-port P] [--debug-keys]\n"
		"         [--exit-on-down] [--cookie-threshold N] [--verbose]\n"
		"IDs: an IP address, a name (FQDN, '@' optional) or "
		"keyid:TEXT.\n"
		"Proposals in strongSwan syntax, e.g.\n"
		"aes128gcm16-prfsha256-ecp256.\n"
		"Signals: USR1 rekey child, USR2 rekey IKE, HUP status, TERM "
		"delete"
		" and exit.\n");
}

static int apply_opt(struct prog *p, int opt, const char *arg);

static int
read_config(struct prog *p, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "sluice-ike: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *end;
		const struct option *o;

		lineno++;
		k += strspn(k, " \t");
		if (*k == '#' || *k == '\n' || *k == 0)
			continue;
		end = k + strcspn(k, "\r\n");
		*end = 0;
		v = strchr(k, '=');
		if (v) {
			char *ke = v;

			*v++ = 0;
			while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
				*--ke = 0;
			v += strspn(v, " \t");
		}
		for (o = longopts; o->name; o++)
			if (!strcmp(o->name, k))
				break;
		if (!o->name || o->val == 'c' ||
		    (o->has_arg == required_argument && !v) ||
		    apply_opt(p, o->val, v)) {
			fprintf(stderr, "sluice-ike: %s:%d: bad line\n", path,
				lineno);
			fclose(f);
			return -EINVAL;
		}
	}
	fclose(f);
	return 0;
}

static int
apply_opt(struct prog *p, int opt, const char *arg)
{
	struct ike_conn_config *c = &p->cfg;

	switch (opt) {
	case 'c':
		return read_config(p, arg);
	case 'n':
		snprintf(c->name, sizeof(c->name), "%s", arg);
		return 0;
	case 'l':
		return parse_addr(arg, &c->local);
	case 'p':
		return parse_addr(arg, &c->peer);
	case 'L':
		return parse_id(arg, &c->local_id);
	case 'P':
		return parse_id(arg, &c->peer_id);
	case 'k':
		if (strlen(arg) == 0 || strlen(arg) > IKE_PSK_MAX)
			return -EINVAL;
		c->psk_len = (uint16_t)strlen(arg);
		memcpy(c->psk, arg, c->psk_len);
		return 0;
	case 'K':
		return read_psk_file(arg, c);
	case 'i':
		return ike_proposal_parse(arg, false, c->ike, IKE_MAX_PROPS_CFG,
					  &c->n_ike);
	case 'e':
		return ike_proposal_parse(arg, true, c->esp, IKE_MAX_PROPS_CFG,
					  &c->n_esp);
	case 't':
		return parse_cidrs(arg, c->local_ts, &c->n_local_ts);
	case 'T':
		return parse_cidrs(arg, c->peer_ts, &c->n_peer_ts);
	case 'I':
		p->initiate = true;
		c->responder_only = false;
		return 0;
	case 'R':
		p->initiate = false;
		c->responder_only = true;
		return 0;
	case 1:
		c->ike_lifetime_s = (uint32_t)strtoul(arg, NULL, 10);
		return 0;
	case 2:
		c->child_lifetime_s = (uint32_t)strtoul(arg, NULL, 10);
		return 0;
	case 3:
		c->dpd_interval_s = (uint32_t)strtoul(arg, NULL, 10);
		return 0;
	case 4:
		c->dpd_timeout_s = (uint32_t)strtoul(arg, NULL, 10);
		return 0;
	case 5:
		if (!strcmp(arg, "clear"))
			c->dpd_action = IKE_DPD_CLEAR;
		else if (!strcmp(arg, "hold"))
			c->dpd_action = IKE_DPD_HOLD;
		else if (!strcmp(arg, "restart"))
			c->dpd_action = IKE_DPD_RESTART;
		else
			return -EINVAL;
		return 0;
	case 6:
		p->ecfg.retransmit_base_ms = (uint32_t)strtoul(arg, NULL, 10);
		return 0;
	case 7:
		p->ecfg.retransmit_tries = (uint8_t)strtoul(arg, NULL, 10);
		return 0;
	case 8:
		c->local.port = (uint16_t)strtoul(arg, NULL, 10);
		return 0;
	case 9:
		p->ecfg.natt_port = (uint16_t)strtoul(arg, NULL, 10);
		return 0;
	case 10:
		c->force_encap = true;
		return 0;
	case 11:
		p->debug_keys = true;
		return 0;
	case 12:
		p->exit_on_down = true;
		return 0;
	case 13:
		p->ecfg.cookie_threshold = (uint32_t)strtoul(arg, NULL, 10);
		return 0;
	case 'v':
		ike_log_set(log_sink, IKE_LOG_DEBUG);
		return 0;
	default:
		return -EINVAL;
	}
}

static int
open_udp(const struct ike_addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct ike_addr b = *a;
	socklen_t sl;
	int fd, one = 1;

	b.port = port;
	to_sin(&b, &ss, &sl);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static void
rx(struct prog *p, int fd, uint16_t port)
{
	uint8_t buf[IKE_MSG_MAX + 64];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ike_addr local, remote;
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss,
		     &sl);
	if (n < 0)
		return;
	from_sin(&ss, &remote);
	local = p->cfg.local;
	local.port = port;
	ike_engine_input(p->e, buf, (size_t)n, &local, &remote, now_ms());
}

static int
run(struct prog *p)
{
	struct pollfd pfd[3];
	sigset_t mask;
	int sfd;
	uint64_t stop_at = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("sluice-ike: signalfd");
		return 1;
	}
	if (p->initiate)
		ike_engine_initiate(p->e, p->conn, now_ms());
	for (;;) {
		uint64_t t = now_ms(), next = ike_engine_next_timer(p->e);
		int timeout =
			next == UINT64_MAX ? 1000
			: next <= t	   ? 0
				    : (int)(next - t > 1000 ? 1000 : next - t);
		struct signalfd_siginfo si;
		struct ike_conn_status st;

		pfd[0] = (struct pollfd){.fd = p->fd500, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = p->fd4500, .events = POLLIN};
		pfd[2] = (struct pollfd){.fd = sfd, .events = POLLIN};
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			rx(p, p->fd500, p->cfg.local.port);
		if (pfd[1].revents & POLLIN)
			rx(p, p->fd4500, p->ecfg.natt_port);
		if ((pfd[2].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == sizeof(si)) {
			t = now_ms();
			switch (si.ssi_signo) {
			case SIGUSR1:
				ike_engine_rekey_child(p->e, p->conn, t);
				break;
			case SIGUSR2:
				ike_engine_rekey_ike(p->e, p->conn, t);
				break;
			case SIGHUP:
				print_status(p);
				break;
			default:
				if (stop_at)
					goto out;
				ike_engine_terminate(p->e, p->conn, t);
				stop_at = t + 3000;
				break;
			}
		}
		ike_engine_tick(p->e, now_ms());
		if (stop_at) {
			if (ike_engine_conn_status(p->e, p->conn, &st) == 0 &&
			    st.state == IKE_CONN_DOWN)
				break;
			if (now_ms() >= stop_at)
				break;
		}
		if (p->exit_on_down && p->down_seen &&
		    ike_engine_conn_status(p->e, p->conn, &st) == 0 &&
		    st.state == IKE_CONN_DOWN) {
			print_status(p);
			close(sfd);
			return 3;
		}
	}
out:
	print_status(p);
	close(sfd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct prog p;
	struct ike_ops ops;
	int opt, rc;

	memset(&p, 0, sizeof(p));
	snprintf(p.cfg.name, sizeof(p.cfg.name), "sluice");
	p.cfg.ike_lifetime_s = 3600;
	p.cfg.child_lifetime_s = 1200;
	p.cfg.dpd_interval_s = 10;
	p.cfg.dpd_timeout_s = 30;
	p.cfg.local.port = 500;
	p.cfg.peer.port = 500;
	p.ecfg.natt_port = 4500;
	ike_log_set(log_sink, IKE_LOG_INFO);
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?' || apply_opt(&p, opt, optarg)) {
			fprintf(stderr, "sluice-ike: bad option or value: %s\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (!p.cfg.local.port)
		p.cfg.local.port = 500;
	p.cfg.peer.port = 500;
	if (!p.cfg.peer_id.type) {
		fprintf(stderr, "sluice-ike: --peer-id is required\n");
		return 2;
	}
	memset(&ops, 0, sizeof(ops));
	ops.send = on_send;
	ops.child_install = on_install;
	ops.child_remove = on_remove;
	ops.event = on_event;
	ops.arg = &p;
	rc = ike_engine_create(&p.ecfg, &ops, &p.e);
	if (rc) {
		fprintf(stderr, "sluice-ike: engine: %s\n", strerror(-rc));
		return 1;
	}
	rc = ike_engine_conn_add(p.e, &p.cfg, &p.conn);
	explicit_bzero(p.cfg.psk, sizeof(p.cfg.psk));
	if (rc) {
		fprintf(stderr, "sluice-ike: invalid connection settings "
				"(addresses, IDs, PSK, proposals, selectors, "
				"dpd timeout "
				"> interval)\n");
		ike_engine_destroy(p.e);
		return 2;
	}
	p.fd500 = open_udp(&p.cfg.local, p.cfg.local.port);
	p.fd4500 = open_udp(&p.cfg.local, p.ecfg.natt_port);
	if (p.fd500 < 0 || p.fd4500 < 0) {
		fprintf(stderr, "sluice-ike: bind UDP %u/%u: %s\n",
			p.cfg.local.port, p.ecfg.natt_port,
			strerror(-(p.fd500 < 0 ? p.fd500 : p.fd4500)));
		ike_engine_destroy(p.e);
		return 1;
	}
	rc = run(&p);
	close(p.fd500);
	close(p.fd4500);
	ike_engine_destroy(p.e);
	return rc;
}
