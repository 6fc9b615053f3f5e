/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink for the guest tools that must send what libnl would
 * never build (nlfuzz) or see every reply as it comes (privcheck): socket,
 * family resolution with its multicast groups, one request, its replies.
 * Header-only: mkinitrd.sh compiles each tool source on its own.
 */
#ifndef EXEFLOW_NLRAW_H
#define EXEFLOW_NLRAW_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define NLRAW_MAX_GROUPS 32

struct nlraw_family {
	int id;
	int ngroups;
	uint32_t group_id[NLRAW_MAX_GROUPS];
	char group_name[NLRAW_MAX_GROUPS][GENL_NAMSIZ];
};

/* A NETLINK_GENERIC socket, bound, with a receive timeout so that a reply
 * that never comes fails the caller instead of hanging it. */
static inline int nlraw_open(int timeout_s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = timeout_s };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int nlraw_send(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) ==
	       (ssize_t)len ? 0 : -1;
}

/* Append one attribute (aligned) at *off in buf; returns its start. */
static inline struct nlattr *nlraw_put(uint8_t *buf, size_t *off,
				       uint16_t type, const void *data,
				       uint16_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + *off);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy(buf + *off + NLA_HDRLEN, data, len);
	memset(buf + *off + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	*off += NLA_HDRLEN + NLA_ALIGN(len);
	return a;
}

/* A genl request with @alen bytes of ready-made attributes. */
static inline int nlraw_request(int fd, uint16_t type, uint16_t flags,
				uint8_t cmd, uint8_t version, const void *attrs,
				size_t alen, uint32_t seq)
{
	uint8_t buf[8192];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN + alen;

	if (len > sizeof(buf)) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_len = (uint32_t)len;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = version;
	if (alen)
		memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen);
	return nlraw_send(fd, buf, len);
}

/*
 * Read replies to request @seq until its ack/error or NLMSG_DONE. Returns
 * 0 or the negative errno the kernel reported; *data counts the other
 * messages of that seq (a stats reply, dump parts). -ETIMEDOUT (well,
 * -EAGAIN) if nothing ends it within the socket timeout; then errno is
 * that of recv.
 */
static inline int nlraw_wait(int fd, uint32_t seq, unsigned int *data)
{
	static uint8_t buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ?
				       e->error : -EBADMSG;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (data)
				(*data)++;
		}
	}
}

/* CTRL_CMD_GETFAMILY: id and multicast groups; -ENOENT if unknown. */
static inline int nlraw_resolve(int fd, const char *name,
				struct nlraw_family *fam)
{
	static uint8_t buf[65536];
	uint8_t attrs[64];
	size_t off = 0;
	int err = -EAGAIN;

	memset(fam, 0, sizeof(*fam));
	fam->id = -1;
	nlraw_put(attrs, &off, CTRL_ATTR_FAMILY_NAME, name,
		  (uint16_t)(strlen(name) + 1));
	if (nlraw_request(fd, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
			  CTRL_CMD_GETFAMILY, 1, attrs, off, 1) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		int len;

		if (n < 0)
			return errno == EINTR ? err : -errno;
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct nlattr *a;
			int rem;

			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				return fam->id >= 0 ? 0 : -ENOENT;
			}
			if (h->nlmsg_type != GENL_ID_CTRL)
				continue;
			rem = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			a = (struct nlattr *)((uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN);
			for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len))) {
				int t = a->nla_type & NLA_TYPE_MASK;

				if (t == CTRL_ATTR_FAMILY_ID)
					fam->id = *(uint16_t *)(a + 1);
				if (t != CTRL_ATTR_MCAST_GROUPS)
					continue;
				/* nest of nests of {NAME, ID} */
				struct nlattr *g = a + 1;
				int grem = a->nla_len - NLA_HDRLEN;

				for (; grem >= NLA_HDRLEN && g->nla_len >= NLA_HDRLEN &&
				       g->nla_len <= grem;
				     grem -= NLA_ALIGN(g->nla_len),
				     g = (struct nlattr *)((uint8_t *)g + NLA_ALIGN(g->nla_len))) {
					struct nlattr *x = g + 1;
					int xrem = g->nla_len - NLA_HDRLEN;
					int k = fam->ngroups;

					if (k >= NLRAW_MAX_GROUPS)
						break;
					for (; xrem >= NLA_HDRLEN && x->nla_len >= NLA_HDRLEN &&
					       x->nla_len <= xrem;
					     xrem -= NLA_ALIGN(x->nla_len),
					     x = (struct nlattr *)((uint8_t *)x + NLA_ALIGN(x->nla_len))) {
						if ((x->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_ID)
							fam->group_id[k] = *(uint32_t *)(x + 1);
						if ((x->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_NAME)
							snprintf(fam->group_name[k], GENL_NAMSIZ,
								 "%.*s", x->nla_len - NLA_HDRLEN,
								 (char *)(x + 1));
					}
					fam->ngroups++;
				}
			}
			err = 0;
		}
	}
}

#endif
