/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink plumbing shared by the xmesh family client and the rtnetlink
 * helper: a socket with extended acks, a buffer of several requests sent
 * in one sendmsg, and the exchange that collects every ack.
 */
#ifndef XMESH_NL_CORE_H
#define XMESH_NL_CORE_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NLC_MSGLEN	256	/* longest extack message kept */
#define NLC_ATTRLEN	96	/* longest attribute description kept */

/*
 * Like mnl_attr_for_each(), but bounded by nlmsg_len itself instead of its
 * aligned size: a malformed message whose last attribute runs into the
 * alignment padding must not be read past its end. The caller checks that
 * offset fits in the payload.
 */
#define nlc_attr_for_each(attr, nlh, offset)				\
	for ((attr) = mnl_nlmsg_get_payload_offset((nlh), (offset));	\
	     mnl_attr_ok((attr), (int)((const char *)(nlh) +		\
				       (nlh)->nlmsg_len -		\
				       (const char *)(attr)));		\
	     (attr) = mnl_attr_next(attr))

/*
 * mnl_nlmsg_ok() casts nlmsg_len to int: a length of 2^31 or more passes
 * it and mnl_nlmsg_next() then jumps far past the buffer. These compare
 * unsigned. Walk a datagram with nlc_msg_for_each(nlh, buf, len).
 */
static inline bool nlc_msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= len;
}

static inline const struct nlmsghdr *nlc_msg_next(const struct nlmsghdr *nlh,
						  size_t *len)
{
	size_t step = MNL_ALIGN((size_t)nlh->nlmsg_len);

	if (step > *len)
		step = *len;
	*len -= step;
	return (const struct nlmsghdr *)((const char *)nlh + step);
}

#define nlc_msg_for_each(nlh, buf, len, left)				\
	for ((left) = (len), (nlh) = (const struct nlmsghdr *)(buf);	\
	     nlc_msg_ok((nlh), (left));					\
	     (nlh) = nlc_msg_next((nlh), &(left)))

/* What the kernel said about one request. */
struct nlc_error {
	int err;			/* 0 or a negative errno */
	char msg[NLC_MSGLEN];		/* NLMSGERR_ATTR_MSG, or "" */
	bool has_offset;		/* NLMSGERR_ATTR_OFFS: */
	uint32_t offset;		/* offending attr, from the request's start */
	bool has_miss_type;		/* NLMSGERR_ATTR_MISS_TYPE: */
	uint32_t miss_type;		/* a required attribute was missing */
	bool has_miss_nest;		/* NLMSGERR_ATTR_MISS_NEST: */
	uint32_t miss_nest;		/* offset of the nest lacking it */
	char attr[NLC_ATTRLEN];		/* described by the family layer, or "" */
};

/*
 * Parse the payload of NLMSG_ERROR (an ack when err is 0) or NLMSG_DONE.
 * Returns 0, or -EBADMSG if the message is malformed (e is then cleared
 * and e->err set to -EBADMSG too).
 */
int nlc_parse_error(const struct nlmsghdr *nlh, struct nlc_error *e);

struct nlc_batch;
struct nlc_result;

struct nlc_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;			/* next sequence number */
	char *rxbuf;
	size_t rxlen;
	/*
	 * Tests only: answers the batch in place of the kernel (no socket
	 * then), filling one result per message.
	 */
	int (*fake)(struct nlc_sock *s, struct nlc_batch *b,
		    struct nlc_result *res, void *priv);
	void *fake_priv;
};

/* bus: NETLINK_GENERIC or NETLINK_ROUTE. Returns 0 or -errno. */
int nlc_open(struct nlc_sock *s, int bus);
void nlc_close(struct nlc_sock *s);
int nlc_fd(const struct nlc_sock *s);

/*
 * Requests built back to back in one buffer. Build a message with
 * nlc_batch_begin(), fill it (mnl_attr_put_*_check with
 * nlc_batch_room()), then nlc_batch_commit() or nlc_batch_cancel().
 */
#define NLC_BATCH_SIZE	(64 * 1024)	/* bytes per sendmsg */
#define NLC_BATCH_MSGS	128		/* acks the socket can queue at once */

struct nlc_batch {
	char *buf;
	size_t len, cap;
	size_t n, max;			/* messages, and their limit */
	size_t *off;			/* offset of each message in buf */
};

int nlc_batch_init(struct nlc_batch *b, size_t cap, size_t max_msgs);
void nlc_batch_free(struct nlc_batch *b);
void nlc_batch_reset(struct nlc_batch *b);
/* NULL when the batch is full: send it first. NLM_F_REQUEST is implied. */
struct nlmsghdr *nlc_batch_begin(struct nlc_batch *b, uint16_t type,
				 uint16_t flags);
size_t nlc_batch_room(const struct nlc_batch *b, const struct nlmsghdr *nlh);
void nlc_batch_commit(struct nlc_batch *b, struct nlmsghdr *nlh);
void nlc_batch_cancel(struct nlc_batch *b, struct nlmsghdr *nlh);
struct nlmsghdr *nlc_batch_msg(const struct nlc_batch *b, size_t i);

/* The outcome of one request of an exchange. */
struct nlc_result {
	bool done;			/* acked, or its dump finished */
	bool intr;			/* NLM_F_DUMP_INTR: dump inconsistent */
	int cb_err;			/* first error from the data callback */
	struct nlc_error e;
};

/* Data messages of request idx (replies, dump entries). <0 is recorded. */
typedef int (*nlc_data_cb)(const struct nlmsghdr *nlh, size_t idx,
			   void *data);

/*
 * Number the batch's requests, send them in one sendmsg and read until
 * every one is acked or its dump is done. res has b->n entries. Requests
 * should carry NLM_F_ACK (or NLM_F_DUMP): one without would never finish.
 * Returns 0 when the exchange itself worked (look at res for each
 * request's outcome), or -errno (e.g. -ENOBUFS: acks were lost).
 */
int nlc_exchange(struct nlc_sock *s, struct nlc_batch *b,
		 struct nlc_result *res, nlc_data_cb cb, void *data);

/*
 * Walk the messages of one received datagram, as nlc_exchange does for
 * replies: exposed so the fuzz test can feed it arbitrary bytes.
 */
struct nlc_rx {
	uint32_t portid, seq0;
	size_t n;
	struct nlc_result *res;
	nlc_data_cb cb;
	void *data;
	size_t pending;			/* requests not done yet */
};
void nlc_rx_datagram(struct nlc_rx *rx, const void *buf, size_t len);

#endif /* XMESH_NL_CORE_H */
