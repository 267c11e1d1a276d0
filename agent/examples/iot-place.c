// SPDX-License-Identifier: GPL-2.0
/*
 * An IoT pipeline's placement, with libxmesh: the sensors' readings go
 * to a processing stage, which must run on the nearest instance with a
 * role ("ingest", "gpu") and enough spare capacity. iot-place asks the
 * local agent for it, places the stage there, and re-places it when that
 * instance no longer fits (it got loaded, or it left the mesh); an
 * instance that still fits keeps the stage, so that load that moves a
 * little does not make it flap. With -p it also sends a reading a round
 * to the stage, over the mesh, as the sensors would.
 *
 *   iot-place [-S SOCKET] [-r ROLE] [-z ZONE] [-c FREE_CORES]
 *             [-m FREE_MEM_MB] [-i SECONDS] [-n ROUNDS] [-p PORT] [-1]
 *
 * One line per event on stdout ("placed", "re-placed", "waiting"); -1
 * places once and exits (0 placed, 1 nothing fits, 2 no answer). Built
 * by `make -C agent examples` into agent/build/examples/iot-place.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xmesh.h>

#define CANDIDATES	8

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(void)
{
	fputs("Usage: iot-place [-S SOCKET] [-r ROLE] [-z ZONE] [-c FREE_CORES]\n"
	      "                 [-m FREE_MEM_MB] [-i SECONDS] [-n ROUNDS] [-p PORT] [-1]\n",
	      stderr);
	exit(2);
}

static void say_node(const char *what, const struct xmesh_node *n)
{
	printf("%s node %u (%s) %s: distance %u, %.2f free cores, %u MB free\n",
	       what, n->id, n->name, *n->address ? n->address : "-",
	       n->distance, n->free_cores, n->mem_free_mb);
}

/* The stage's node among the candidates that fit, or NULL. */
static const struct xmesh_node *still_fits(uint32_t id,
					   const struct xmesh_node *n, int k)
{
	int i;

	for (i = 0; i < k; i++)
		if (n[i].id == id)
			return &n[i];
	return NULL;
}

/* A reading to the stage's overlay address, as a sensor would send. */
static void send_reading(const struct xmesh_node *stage, int port,
			 unsigned long seq)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr *a = (struct sockaddr *)&a4;
	socklen_t alen = sizeof(a4);
	char msg[64];
	int len = snprintf(msg, sizeof(msg), "reading %lu\n", seq), fd;

	a4.sin_port = a6.sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, stage->address, &a4.sin_addr) != 1) {
		if (inet_pton(AF_INET6, stage->address, &a6.sin6_addr) != 1)
			return;
		a = (struct sockaddr *)&a6;
		alen = sizeof(a6);
	}
	fd = socket(a->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, (size_t)len, 0, a, alen);
	close(fd);
}

int main(int argc, char **argv)
{
	struct xmesh_query q = { .role = "ingest", .min_free_cores = 1 };
	struct xmesh_node cand[CANDIDATES], stage = { 0 };
	const struct xmesh_node *now;
	const char *sock = NULL;
	double interval = 2;
	long rounds = -1, round;
	bool once = false, placed = false;
	int opt, k = 0, port = 0;
	struct xmesh *x;

	while ((opt = getopt(argc, argv, "S:r:z:c:m:i:n:p:1h")) != -1) {
		switch (opt) {
		case 'S': sock = optarg; break;
		case 'r': q.role = optarg; break;
		case 'z': q.zone = optarg; break;
		case 'c': q.min_free_cores = atof(optarg); break;
		case 'm': q.min_free_mem_mb = (uint32_t)atol(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 'n': rounds = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case '1': once = true; break;
		default: usage();
		}
	}
	if (optind != argc || !(interval > 0) || port < 0 || port > 65535)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	x = xmesh_open(sock);
	if (!x) {
		perror("xmesh_open");
		return 2;
	}
	printf("stage: role %s, %.2f free cores, %u MB free memory%s%s (libxmesh %s)\n",
	       q.role ? q.role : "any", q.min_free_cores, q.min_free_mem_mb,
	       q.zone ? ", zone " : "", q.zone ? q.zone : "",
	       xmesh_version());
	for (round = 0; !stopping && (rounds < 0 || round < rounds); round++) {
		if (round) {
			struct timespec ts = {
				.tv_sec = (time_t)interval,
				.tv_nsec = (long)((interval - (time_t)interval) *
						  1e9),
			};

			nanosleep(&ts, NULL);
		}
		k = xmesh_find(x, &q, cand, CANDIDATES);
		if (k < 0) {
			printf("no answer: %s\n", xmesh_error(x));
			if (once)
				break;
			continue;
		}
		now = placed ? still_fits(stage.id, cand, k) : NULL;
		if (now) {
			stage = *now;	/* its latest figures */
		} else if (k) {
			if (placed)
				printf("re-placed from node %u (%s): it no longer fits\n",
				       stage.id, stage.name);
			stage = cand[0];
			placed = true;
			say_node("placed on", &stage);
		} else if (placed || !round) {
			if (placed)
				printf("node %u (%s) no longer fits\n",
				       stage.id, stage.name);
			printf("waiting: no node fits\n");
			placed = false;
		}
		if (once)
			break;
		if (placed && port && *stage.address)
			send_reading(&stage, port, (unsigned long)round);
	}
	xmesh_close(x);
	return k < 0 ? 2 : placed ? 0 : 1;
}
