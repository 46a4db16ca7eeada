/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_testsrv.c: the protocol server on a thread for unit tests (see
 * dp_ctl_testsrv.h). The thread polls with a 5 ms timeout so that a stop
 * request is seen promptly; a poll error aborts the test program.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dp_client.h"
#include "dp_ctl_testsrv.h"

static void *
testsrv_main(void *arg)
{
	struct dp_ctl_testsrv *s = arg;

	while (!atomic_load(&s->stop))
		if (dp_ctl_poll(s->ctl, 5) < 0)
			abort();
	return NULL;
}

int
dp_ctl_testsrv_start(const char *name, struct dp_ctl_testsrv **out)
{
	struct dp_pipeline_config cfg = {.n_workers = 1, .cache_entries = 64};
	struct dp_ctl_testsrv *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	snprintf(s->path, sizeof(s->path), "/tmp/%s.%d.sock", name,
		 (int)getpid());
	rc = dp_pipeline_create(&cfg, &s->pl);
	if (rc < 0)
		goto free_srv;
	rc = dp_ctl_create(s->path, s->pl, NULL, &s->ctl);
	if (rc < 0)
		goto destroy_pipeline;
	rc = -pthread_create(&s->thread, NULL, testsrv_main, s);
	if (rc < 0)
		goto destroy_ctl;
	*out = s;
	return 0;

destroy_ctl:
	dp_ctl_destroy(s->ctl);
destroy_pipeline:
	dp_pipeline_destroy(s->pl);
free_srv:
	free(s);
	return rc;
}

int
dp_ctl_testsrv_setup(void **state)
{
	struct dp_ctl_testsrv *s;

	if (dp_ctl_testsrv_start(program_invocation_short_name, &s) < 0)
		return -1;
	*state = s;
	return 0;
}

int
dp_ctl_testsrv_teardown(void **state)
{
	dp_ctl_testsrv_stop(*state);
	return 0;
}

struct dp_client *
dp_ctl_testsrv_client(const struct dp_ctl_testsrv *s)
{
	struct dp_client *c;
	char err[256];

	if (dp_client_connect(s->path, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "dp_ctl_testsrv: %s\n", err);
		return NULL;
	}
	dp_client_set_timeout(c, 5000);
	return c;
}

void
dp_ctl_testsrv_stop(struct dp_ctl_testsrv *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	dp_ctl_destroy(s->ctl);
	dp_pipeline_destroy(s->pl);
	free(s);
}
