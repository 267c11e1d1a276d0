// SPDX-License-Identifier: GPL-2.0
/*
 * udpgap: a timestamped UDP stream and the longest gap in it, for the
 * failover tests and benchmarks (tests/guest/4x-agent-*.sh,
 * scripts/bench-failover-guest.sh, scripts/bench-mcast-*-guest.sh). The
 * guest tests compile it with gcc into /tmp (agentnet.sh: udpgap_build).
 *
 *   udpgap send [-B SRC] [-r PPS] [-t SECONDS] [-l LEN] DST PORT
 *	PPS packets per second (1000) for SECONDS (0: until SIGTERM or
 *	SIGINT), each carrying a sequence number and its send time
 *	(CLOCK_MONOTONIC, which every network namespace shares), then a few
 *	end markers. On exit it prints one JSON line: sent, and the longest
 *	pause between two sends (the sender's own stalls).
 *
 *   udpgap recv [-A] [-B ADDR [-J IFADDR]] [-t MAX_SECONDS] [-H HOLD_MS]
 *	[-g GAP_MS] PORT
 *	Receives until the sender's end marker, SIGTERM/SIGINT, MAX_SECONDS
 *	(60), or, once SIGUSR1 marked the moment of a failure, until the
 *	stream has run HOLD_MS (2000) since the mark and since the last gap
 *	longer than GAP_MS (50): the stream recovered. -A: and since SIGUSR2
 *	said the failure is in place (making it may take longer than HOLD_MS
 *	on a slow machine, and the stream must not be judged recovered from
 *	a failure that has not happened yet). -J: ADDR is an IPv4 group,
 *	joined on the interface that holds IFADDR (a multicast stream; the
 *	kernel delivers a group's datagrams only to an interface that joined
 *	it). Prints one JSON line:
 *	  received, lost, dups       packets (lost: missing sequence numbers)
 *	  max_gap_ms                 the outage: the longest span between the
 *	                             send times of two consecutive received
 *	                             sequence numbers (of those gaps that end
 *	                             after the mark, if there is one); one
 *	                             send interval when nothing was lost
 *	  max_lost_ms                the same counted in packets: the longest
 *	                             run of lost ones plus one, times the send
 *	                             interval; unlike max_gap_ms, blind to the
 *	                             sender's own stalls (nothing was sent),
 *	                             which a loaded (emulated) machine has
 *	  gap_start_ms               when it began, relative to the mark
 *	  max_rx_gap_ms              the longest span between two arrivals
 *	  lost_after_mark            packets sent after the mark never received
 *	  rx_overflows               of the lost, those the receiving socket
 *	                             dropped itself (its buffer full: the
 *	                             receiver was not run), not the network
 *	  recovered                  false: it ended (end marker, signal or
 *	                             deadline) without the stream flowing again
 *	                             since the mark, and max_gap_ms is a lower
 *	                             bound that runs to the last packet sent
 *
 * The outage is measured on the send times, so the receiver's scheduling
 * does not count; the sender's stalls do (they are gaps in the stream),
 * and its report says how long they were.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x58474150u	/* "XGAP" */
#define FLAG_END	1u
#define LEN_MIN		32
#define LEN_MAX		1400
#define END_MARKERS	5

struct hdr {
	uint32_t magic;
	uint32_t flags;
	uint64_t seq;
	uint64_t tx_ns;
	uint32_t interval_ns;	/* the sender's pace */
	uint32_t pad;
};

struct rec {
	uint64_t seq, tx_ns, rx_ns;
	uint32_t interval_ns;
};

static volatile sig_atomic_t stop, marked, armed;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_mark(int sig)
{
	(void)sig;
	marked = 1;
}

static void on_armed(int sig)
{
	(void)sig;
	armed = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpgap send [-B SRC] [-r PPS] [-t SECONDS] [-l LEN] DST PORT\n"
		"       udpgap recv [-A] [-B ADDR [-J IFADDR]] [-t MAX_SECONDS] [-H HOLD_MS] [-g GAP_MS] PORT\n");
	exit(2);
}

/* Resolve HOST (numeric, v4 or v6; NULL: the wildcard) and PORT. */
static void resolve(const char *host, const char *port, int passive,
		    struct sockaddr_storage *ss, socklen_t *len, int *family)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
			    (passive ? AI_PASSIVE : 0),
		.ai_family = *family,
	}, *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);

	if (rc) {
		fprintf(stderr, "udpgap: %s port %s: %s\n", host ? host : "*",
			port, gai_strerror(rc));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	*family = ai->ai_family;
	freeaddrinfo(ai);
}

static double num_arg(const char *s, double min, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < min || v > max) {
		fprintf(stderr, "udpgap: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static int do_send(int argc, char **argv)
{
	const char *src = NULL;
	double pps = 1000, secs = 0;
	size_t len = 64;
	struct sockaddr_storage dst, from;
	socklen_t dlen, flen;
	int family = AF_UNSPEC, fd, c, i;
	char buf[LEN_MAX] = { 0 };
	struct hdr *h = (struct hdr *)buf;
	uint64_t interval, start, next, end, last = 0, stall = 0, seq = 0;
	uint64_t errors = 0;
	struct timespec ts;

	while ((c = getopt(argc, argv, "B:r:t:l:")) != -1) {
		switch (c) {
		case 'B': src = optarg; break;
		case 'r': pps = num_arg(optarg, 1, 1e6); break;
		case 't': secs = num_arg(optarg, 0, 1e6); break;
		case 'l': len = num_arg(optarg, LEN_MIN, LEN_MAX); break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	resolve(argv[optind], argv[optind + 1], 0, &dst, &dlen, &family);
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (src) {
		resolve(src, "0", 1, &from, &flen, &family);
		if (bind(fd, (struct sockaddr *)&from, flen))
			die("bind");
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);

	interval = 1e9 / pps;
	start = next = now_ns();
	end = secs > 0 ? start + (uint64_t)(secs * 1e9) : UINT64_MAX;
	h->magic = htonl(MAGIC);
	h->interval_ns = interval;
	while (!stop && next < end) {
		ts.tv_sec = next / 1000000000u;
		ts.tv_nsec = next % 1000000000u;
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			continue;	/* a signal: check stop */
		h->seq = seq++;
		h->tx_ns = now_ns();
		if (last && h->tx_ns - last > stall)
			stall = h->tx_ns - last;
		last = h->tx_ns;
		/*
		 * No route for a moment is what is measured: count, go on.
		 * Never block: a full socket buffer (packets held in a queue
		 * of the cut path) must not stall the stream.
		 */
		if (sendto(fd, buf, len, MSG_DONTWAIT,
			   (struct sockaddr *)&dst, dlen) < 0)
			errors++;
		next += interval;
		/* Fallen behind (a stall): resume the pace, no burst. */
		if (next + interval < h->tx_ns)
			next = h->tx_ns + interval;
	}
	h->flags = htonl(FLAG_END);
	for (i = 0; i < END_MARKERS; i++) {
		h->seq = seq;
		h->tx_ns = now_ns();
		sendto(fd, buf, len, 0, (struct sockaddr *)&dst, dlen);
		usleep(2000);
	}
	printf("{\"sent\":%llu,\"send_errors\":%llu,\"max_send_pause_ms\":%.3f}\n",
	       (unsigned long long)seq, (unsigned long long)errors, stall / 1e6);
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One datagram, without waiting; *overflows: the socket's drops so far. */
static ssize_t recv_counted(int fd, char *buf, size_t len, uint32_t *overflows)
{
	char control[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	ssize_t got;

	got = recvmsg(fd, &m, MSG_DONTWAIT);
	if (got < 0)
		return got;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_RXQ_OVFL)
			memcpy(overflows, CMSG_DATA(cm), sizeof(*overflows));
	return got;
}

/* Join the IPv4 group bound in ME on the interface that holds IFADDR. */
static void join_group(int fd, const struct sockaddr_storage *me,
		       const char *ifaddr)
{
	const struct sockaddr_in *g = (const struct sockaddr_in *)me;
	struct ip_mreq mreq = { .imr_multiaddr = g->sin_addr };

	if (me->ss_family != AF_INET || !IN_MULTICAST(ntohl(g->sin_addr.s_addr))) {
		fprintf(stderr, "udpgap: -J needs -B with an IPv4 group\n");
		exit(2);
	}
	if (inet_pton(AF_INET, ifaddr, &mreq.imr_interface) != 1) {
		fprintf(stderr, "udpgap: -J %s: not an IPv4 address\n", ifaddr);
		exit(2);
	}
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)))
		die("IP_ADD_MEMBERSHIP");
}

static int do_recv(int argc, char **argv)
{
	const char *bindaddr = NULL, *joinif = NULL;
	double max_s = 60, hold_ms = 2000, gap_ms = 50;
	struct sockaddr_storage me;
	socklen_t mlen;
	int family = AF_UNSPEC, fd, c, one = 1, rcvbuf = 16 << 20;
	uint32_t overflows = 0;
	struct rec *r = NULL;
	size_t n = 0, cap = 0, i, dups = 0;
	uint64_t start, deadline, mark = 0, last_rx = 0, resume = 0;
	uint64_t hold, gapthr, max_gap = 0, gap_start = 0, max_rx_gap = 0;
	uint64_t lost, lost_after = 0, span, base, run, max_run = 0;
	bool ended = false, recovered = false, wait_armed = false;
	uint64_t armed_at = 0;
	double lost_ms;
	char buf[LEN_MAX + 1];
	struct hdr h;

	while ((c = getopt(argc, argv, "AB:J:t:H:g:")) != -1) {
		switch (c) {
		case 'A': wait_armed = true; break;
		case 'B': bindaddr = optarg; break;
		case 'J': joinif = optarg; break;
		case 't': max_s = num_arg(optarg, 0.1, 1e6); break;
		case 'H': hold_ms = num_arg(optarg, 1, 1e7); break;
		case 'g': gap_ms = num_arg(optarg, 1, 1e7); break;
		default: usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (!bindaddr)
		family = AF_INET6;	/* the dual-stack wildcard */
	resolve(bindaddr, argv[optind], 1, &me, &mlen, &family);
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (family == AF_INET6 && !bindaddr) {
		int zero = 0;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Room for seconds of the stream: the emulated guest stalls the
	 * receiver for hundreds of milliseconds (starting an agent takes
	 * that), and a default buffer (~160 packets) then overflows, which is
	 * no loss of the network's. The overflows left are counted apart.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, mlen))
		die("bind");
	if (joinif)
		join_group(fd, &me, joinif);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGUSR1, on_mark);
	signal(SIGUSR2, on_armed);
	/* Ready: the caller may start the sender now. */
	fprintf(stderr, "udpgap: receiving on port %s\n", argv[optind]);

	hold = hold_ms * 1e6;
	gapthr = gap_ms * 1e6;
	start = now_ns();
	deadline = start + (uint64_t)(max_s * 1e9);
	while (!stop && !ended) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now;
		ssize_t got;

		poll(&p, 1, 10);
		now = now_ns();
		if (marked && !mark)
			mark = resume = now;
		if (armed && !armed_at)
			armed_at = resume = now;
		for (;;) {
			got = recv_counted(fd, buf, sizeof(buf), &overflows);
			if (got < 0)
				break;
			now = now_ns();
			if (got < (ssize_t)sizeof(h))
				continue;
			memcpy(&h, buf, sizeof(h));
			if (ntohl(h.magic) != MAGIC)
				continue;
			if (ntohl(h.flags) & FLAG_END) {
				ended = true;
				break;
			}
			if (n == cap) {
				cap = cap ? 2 * cap : 65536;
				r = realloc(r, cap * sizeof(*r));
				if (!r)
					die("realloc");
			}
			r[n].seq = h.seq;
			r[n].tx_ns = h.tx_ns;
			r[n].rx_ns = now;
			r[n].interval_ns = h.interval_ns;
			n++;
			if (mark && last_rx && now - last_rx > gapthr)
				resume = now;
			last_rx = now;
		}
		if (now >= deadline)
			break;
		if (mark && now >= mark + hold && now >= resume + hold &&
		    (!wait_armed || armed_at) &&
		    last_rx && now - last_rx <= gapthr) {
			recovered = true;
			break;
		}
	}

	/* Arrival gaps, in arrival order. */
	for (i = 1; i < n; i++)
		if (r[i].rx_ns - r[i - 1].rx_ns > max_rx_gap)
			max_rx_gap = r[i].rx_ns - r[i - 1].rx_ns;
	/* Send-time gaps between consecutive sequence numbers received. */
	qsort(r, n, sizeof(*r), by_seq);
	for (i = 1; i < n; i++) {
		if (r[i].seq == r[i - 1].seq) {
			dups++;
			continue;
		}
		if (r[i].tx_ns < r[i - 1].tx_ns)
			continue;	/* cannot be: seq and time grow */
		span = r[i].tx_ns - r[i - 1].tx_ns;
		if (mark && r[i].tx_ns < mark)
			continue;
		run = r[i].seq - r[i - 1].seq - 1;
		if (mark)
			lost_after += run;
		if (run > max_run)
			max_run = run;
		if (span > max_gap) {
			max_gap = span;
			gap_start = r[i - 1].tx_ns;
		}
	}
	lost = n ? r[n - 1].seq - r[0].seq + 1 - (n - dups) : 0;
	/*
	 * Ended otherwise than by the recovery rule: if nothing arrived for a
	 * while, the stream was still cut at the end, and the outage runs from
	 * the last packet received until then (a lower bound).
	 */
	if (mark && !recovered) {
		uint64_t end_ns = now_ns();

		if (!n || end_ns - last_rx > gapthr) {
			uint64_t from = n ? r[n - 1].tx_ns : mark;

			if (from < mark)
				from = mark;
			if (end_ns - from > max_gap) {
				max_gap = end_ns - from;
				gap_start = from;
			}
		} else {
			recovered = true;	/* flowing when it ended */
		}
	}
	base = mark ? mark : n ? r[0].tx_ns : 0;
	lost_ms = n ? (max_run + 1) * (r[0].interval_ns / 1e6) : 0;
	if (mark && !recovered)
		lost_ms = max_gap / 1e6;	/* the run has no end */
	printf("{\"received\":%zu,\"lost\":%llu,\"dups\":%zu,"
	       "\"max_gap_ms\":%.3f,\"max_lost_ms\":%.3f,"
	       "\"gap_start_ms\":%.3f,\"max_rx_gap_ms\":%.3f,"
	       "\"lost_after_mark\":%llu,\"rx_overflows\":%u,"
	       "\"marked\":%s,\"recovered\":%s}\n",
	       n - dups, (unsigned long long)lost, dups, max_gap / 1e6,
	       lost_ms,
	       ((double)gap_start - (double)base) / 1e6, max_rx_gap / 1e6,
	       (unsigned long long)lost_after, overflows,
	       mark ? "true" : "false",
	       recovered || !mark ? "true" : "false");
	free(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	usage();
	return 2;
}
