/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread: control socket, table writer, slow path (see dp_ctrl.c). */
#ifndef DP_CTRL_H
#define DP_CTRL_H

struct dp_dataplane;

/* Runs on the main lcore until dp->quit is set. 0, or -1 when the socket cannot be set up. */
int dp_ctrl_run(struct dp_dataplane *dp);

#endif /* DP_CTRL_H */
