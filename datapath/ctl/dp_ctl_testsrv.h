/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_testsrv.h: a unit-test fixture: a real pipeline (one worker, 64
 * cache entries) and a protocol server (dp_ctl.h, no runtime backend) on
 * its own thread, listening on /tmp/NAME.PID.sock, for tests that drive
 * it through the client library (dp_client.h). Not linked into sluice-dp.
 *
 * Concurrency: start and stop from one test thread; between them only the
 * server thread touches the pipeline and the server.
 */
#ifndef SLUICE_DP_CTL_TESTSRV_H
#define SLUICE_DP_CTL_TESTSRV_H

#include <pthread.h>
#include <stdatomic.h>

#include "dp_ctl.h"

struct dp_ctl_testsrv {
	char path[108]; /* the server's socket */
	struct dp_pipeline *pl;
	struct dp_ctl *ctl;
	pthread_t thread;
	atomic_int stop;
};

/* Create the pipeline and server on /tmp/NAME.PID.sock and start polling
 * on a thread. Returns 0 or -errno (nothing left behind on failure). */
int dp_ctl_testsrv_start(const char *name, struct dp_ctl_testsrv **out);

/* Stop the thread, then destroy the server and pipeline; NULL is a no-op.
 */
void dp_ctl_testsrv_stop(struct dp_ctl_testsrv *s);

/* The same as cmocka setup and teardown functions: *state becomes a
 * server named after the program (/tmp/PROGRAM.PID.sock); setup returns
 * -1 when it cannot start one. */
int dp_ctl_testsrv_setup(void **state);
int dp_ctl_testsrv_teardown(void **state);

/* A client of s (dp_client.h) with a 5 s timeout, or NULL (the message on
 * stderr). */
struct dp_client *dp_ctl_testsrv_client(const struct dp_ctl_testsrv *s);

#endif
