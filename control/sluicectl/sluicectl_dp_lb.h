/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_dp_lb.h: run functions of the "dp lb-*" commands
 * (sluicectl_dp_lb.c), listed in sluicectl_dp.c's command table. Each
 * takes the global options and argv with argv[0] the command name, and
 * returns a sluicectl exit code.
 */
#ifndef SLUICE_SLUICECTL_DP_LB_H
#define SLUICE_SLUICECTL_DP_LB_H

#include "sluicectl.h"

int sluicectl_dp_lb_set(const struct sluicectl_opts *o, int argc, char **argv);
int sluicectl_dp_lb_del(const struct sluicectl_opts *o, int argc, char **argv);
int sluicectl_dp_lb_stats(const struct sluicectl_opts *o, int argc,
			  char **argv);

#endif /* SLUICE_SLUICECTL_DP_LB_H */
