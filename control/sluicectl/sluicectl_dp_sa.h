/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_dp_sa.h: run functions of the "dp sa-*" commands
 * (sluicectl_dp_sa.c), listed in sluicectl_dp.c's command table. Each
 * takes the global options and argv with argv[0] the command name, and
 * returns a sluicectl exit code.
 */
#ifndef SLUICE_SLUICECTL_DP_SA_H
#define SLUICE_SLUICECTL_DP_SA_H

#include "sluicectl.h"

int sluicectl_dp_sa_add(const struct sluicectl_opts *o, int argc, char **argv);
int sluicectl_dp_sa_del(const struct sluicectl_opts *o, int argc, char **argv);
int sluicectl_dp_sa_list(const struct sluicectl_opts *o, int argc, char **argv);

#endif /* SLUICE_SLUICECTL_DP_SA_H */
