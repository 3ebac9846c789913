/* linux.netDevices: host interfaces moved into the container's network namespace at create and
 * back at delete, by rtnetlink requests the runtime makes itself (no `ip` subprocess).
 *
 * The kernel drops a device's addresses when it changes namespace, so the permanent global
 * ones are read first and added again inside, and the link is set up there (runc 1.2's and
 * crun's behaviour). Neither peer moves a device back: they leave it to the kernel, which
 * destroys a virtual device with its namespace and hands a physical one to the initial
 * namespace under whatever name it has. oci-run pins the container's namespace in the state
 * directory (a bind mount of its nsfs file, as `ip netns` does) and records each device by
 * the index it has inside, so delete, even of a stopped container, moves it back under its
 * host name and cannot be made to take a device of the container's own choosing by a name. */
#include "run/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <jansson.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#define NETNS_PIN      "netns"		 /* the container's network namespace, bind-mounted */
#define NETDEV_RECORD  "netdevices.json" /* what was moved, for delete */
#define NETDEV_MAXADDR 64		 /* addresses carried over per device */
#ifndef ALTIFNAMSIZ
#define ALTIFNAMSIZ 128 /* linux/if.h's, which clashes with net/if.h */
#endif
#define NETDEV_ALTS 1024 /* alternative names of a device, '\n'-ended */

/* One device moved in. kind is rtnetlink's IFLA_INFO_KIND ("" for a physical device). */
typedef struct netdev_rec {
	char host[IFNAMSIZ], name[IFNAMSIZ], kind[32];
	char alts[NETDEV_ALTS]; /* its alternative names on the host, each ended by '\n' */
	int ifindex;		/* inside the container's namespace */
} netdev_rec;

typedef struct netdev_link {
	int ifindex;
	unsigned flags;
	char name[IFNAMSIZ], kind[32];
	char alts[NETDEV_ALTS]; /* alternative names, each ended by '\n' (never in a name) */
} netdev_link;

typedef struct netdev_addr {
	unsigned char family, prefixlen;
	unsigned char local[16], address[16];
	size_t alen;
	bool has_local, has_address;
} netdev_addr;

/* ---- rtnetlink ---- */

/* A request: fixed header and body, then at most a name, a namespace fd and two addresses. */
typedef struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
	};
	char attrs[512];
} nl_req;

/* Replies are read into this; a message longer than it is an error, never a partial read. */
typedef union nl_buf {
	struct nlmsghdr h;
	char b[32768];
} nl_buf;

static uint32_t nl_seq;

static void nl_init(nl_req *r, int type, int flags, size_t body)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_type = (unsigned short)type;
	r->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	r->h.nlmsg_len = NLMSG_LENGTH(body);
	r->h.nlmsg_seq = ++nl_seq;
}

/* Callers add only the fixed-size attributes above: an overflow is the runtime's bug. */
static void nl_attr(nl_req *r, int type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof(*r))
		abort();
	struct rtattr *a = (struct rtattr *)((char *)r + at);
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
}

/* The next whole message of buf[0..len) at *off, or NULL. */
static const struct nlmsghdr *nl_next(const nl_buf *buf, size_t len, size_t *off)
{
	if (*off + sizeof(struct nlmsghdr) > len)
		return NULL;
	const struct nlmsghdr *h = (const struct nlmsghdr *)(buf->b + *off);
	if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - *off)
		return NULL;
	*off += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

/* The next attribute of the area [p, p+len) at *off, or NULL. */
static const struct rtattr *rta_next(const void *p, size_t len, size_t *off)
{
	if (*off + sizeof(struct rtattr) > len)
		return NULL;
	const struct rtattr *a = (const struct rtattr *)((const char *)p + *off);
	if (a->rta_len < sizeof(*a) || a->rta_len > len - *off)
		return NULL;
	*off += RTA_ALIGN(a->rta_len);
	return a;
}

/* A NETLINK_ROUTE socket of the network namespace netns_fd (-1: the runtime's own). The
 * runtime enters it just for socket() and comes back: a socket stays in the namespace it was
 * made in. */
static int nl_open(int netns_fd, int own_fd, oci_error *err)
{
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
		return oci_err_errno(err, errno, "cannot enter the container's network namespace");
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int e = errno;
	if (netns_fd >= 0 && setns(own_fd, CLONE_NEWNET) < 0) {
		/* Going on would act on the container's namespace as if it were the host's. */
		log_error("cannot return to the runtime's network namespace: %s", strerror(errno));
		abort();
	}
	if (s < 0)
		return oci_err_errno(err, e, "cannot open a netlink socket");
	/* bound now (the kernel picks the port id), not at the first send: nl_port() is ours */
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(s);
		return oci_err_errno(err, e, "cannot bind a netlink socket");
	}
	return s;
}

/* The port id of socket s: the kernel's answers to it carry it as nlmsg_pid. */
static uint32_t nl_port(int s)
{
	struct sockaddr_nl sa = {0};
	socklen_t len = sizeof(sa);
	return getsockname(s, (struct sockaddr *)&sa, &len) < 0 ? 0 : sa.nl_pid;
}

/* A message of a datagram from the kernel that answers request seq of socket port: anything
 * else is dropped. Root in the container's network namespace may send to any netlink socket
 * there, the runtime's too, with any sequence number; only the kernel sends from port 0. */
static bool nl_ours(const struct nlmsghdr *h, uint32_t port, uint32_t seq)
{
	return h->nlmsg_seq == seq && h->nlmsg_pid == port;
}

/* The next datagram the kernel sent to s; one from another socket (a process's: its port is
 * never 0) is dropped unread. */
static int nl_recv(int s, nl_buf *buf, size_t *len)
{
	for (;;) {
		struct sockaddr_nl from = {0};
		struct iovec iov = {buf->b, sizeof(buf->b)};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1};
		ssize_t n = recvmsg(s, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_namelen != sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != 0) {
			log_debug("rtnetlink: a datagram from port %u, not the kernel: dropped",
				  (unsigned)from.nl_pid);
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		*len = (size_t)n;
		return 0;
	}
}

/* Send r and hand each message of the kernel's answer to it (nl_recv and nl_ours drop the
 * rest) to each(ctx, h), until each returns 0 or -errno, which is returned; 1 asks for more. */
static int nl_exchange(int s, const nl_req *r, int (*each)(void *ctx, const struct nlmsghdr *h),
		       void *ctx)
{
	uint32_t port = nl_port(s);
	if (send(s, r, r->h.nlmsg_len, 0) < 0)
		return -errno;
	cleanup_free nl_buf *buf = malloc(sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t len, off = 0;
		int e = nl_recv(s, buf, &len);
		if (e < 0)
			return e;
		const struct nlmsghdr *h;
		while ((h = nl_next(buf, len, &off))) {
			if (!nl_ours(h, port, r->h.nlmsg_seq))
				continue;
			int rc = each(ctx, h);
			if (rc <= 0)
				return rc;
		}
	}
}

typedef struct talk_ctx {
	nl_buf *reply;
	size_t *reply_len;
} talk_ctx;

static int talk_each(void *ctx, const struct nlmsghdr *h)
{
	talk_ctx *t = ctx;
	if (h->nlmsg_type == NLMSG_ERROR) {
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return -EBADMSG;
		const struct nlmsgerr *ne = NLMSG_DATA(h);
		return ne->error > 0 || (!ne->error && t->reply) ? -EBADMSG : ne->error;
	}
	if (t->reply && h->nlmsg_len <= sizeof(t->reply->b)) {
		memcpy(t->reply->b, h, h->nlmsg_len);
		*t->reply_len = h->nlmsg_len;
		return 0;
	}
	return 1;
}

/* Send r and return the kernel's answer: 0 or -errno. With reply set (RTM_GETLINK), the
 * reply's message is copied there; an acknowledgement without one is no answer. */
static int nl_talk(int s, const nl_req *r, nl_buf *reply, size_t *reply_len)
{
	talk_ctx t = {reply, reply_len};
	return nl_exchange(s, r, talk_each, &t);
}

/* A device by index (name NULL) or by name: 0, -ENODEV when there is none, or -errno. */
static int link_get(int s, int ifindex, const char *name, netdev_link *out)
{
	nl_req r;
	nl_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = name ? 0 : ifindex;
	if (name)
		nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;
	nl_attr(&r, IFLA_EXT_MASK, &mask, sizeof(mask));
	cleanup_free nl_buf *reply = malloc(sizeof(*reply));
	if (!reply)
		return -ENOMEM;
	size_t len = 0;
	int e = nl_talk(s, &r, reply, &len);
	if (e < 0)
		return e;
	const struct nlmsghdr *h = &reply->h;
	if (h->nlmsg_type != RTM_NEWLINK || len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	const char *attrs = (const char *)ifi + NLMSG_ALIGN(sizeof(*ifi));
	size_t alen = len - NLMSG_LENGTH(sizeof(*ifi)), off = 0;
	const struct rtattr *a;
	while ((a = rta_next(attrs, alen, &off))) {
		size_t plen = RTA_PAYLOAD(a);
		if (a->rta_type == IFLA_IFNAME && plen > 0)
			snprintf(out->name, sizeof(out->name), "%.*s", (int)plen,
				 (const char *)RTA_DATA(a));
		if ((a->rta_type & NLA_TYPE_MASK) == IFLA_PROP_LIST) {
			size_t poff = 0;
			const struct rtattr *pa;
			while ((pa = rta_next(RTA_DATA(a), plen, &poff))) {
				size_t used = strlen(out->alts), n = RTA_PAYLOAD(pa);
				const char *v = RTA_DATA(pa);
				n = strnlen(v, n);
				if (pa->rta_type != IFLA_ALT_IFNAME || !n)
					continue;
				if (used + n + 2 > sizeof(out->alts))
					return -E2BIG;
				snprintf(out->alts + used, sizeof(out->alts) - used, "%.*s\n",
					 (int)n, v);
			}
		}
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		size_t ioff = 0;
		const struct rtattr *ia;
		while ((ia = rta_next(RTA_DATA(a), plen, &ioff)))
			if (ia->rta_type == IFLA_INFO_KIND && RTA_PAYLOAD(ia) > 0)
				snprintf(out->kind, sizeof(out->kind), "%.*s", (int)RTA_PAYLOAD(ia),
					 (const char *)RTA_DATA(ia));
	}
	return 0;
}

/* The permanent addresses of global scope of device ifindex (those runc and crun carry
 * over: dynamic or link-local ones belong to the namespace they were made in). */
static int addrs_get(int s, int ifindex, netdev_addr *out, size_t *n, oci_error *err)
{
	nl_req r;
	nl_init(&r, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	r.ifa.ifa_family = AF_UNSPEC;
	*n = 0;
	uint32_t port = nl_port(s);
	if (send(s, &r, r.h.nlmsg_len, 0) < 0)
		return oci_err_errno(err, errno, "cannot list addresses");
	cleanup_free nl_buf *buf = malloc(sizeof(*buf));
	if (!buf)
		return oci_err_errno(err, ENOMEM, "cannot list addresses");
	for (;;) {
		size_t len, off = 0;
		int e = nl_recv(s, buf, &len);
		if (e < 0)
			return oci_err_errno(err, -e, "cannot list addresses");
		const struct nlmsghdr *h;
		while ((h = nl_next(buf, len, &off))) {
			if (!nl_ours(h, port, r.h.nlmsg_seq))
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *ne = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ne)) || ne->error >= 0)
					return oci_err(err, OCI_E_INTERNAL,
						       "cannot list addresses: bad reply");
				return oci_err_errno(err, -ne->error, "cannot list addresses");
			}
			if (h->nlmsg_type != RTM_NEWADDR ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
				continue;
			const struct ifaddrmsg *ifa = NLMSG_DATA(h);
			if ((int)ifa->ifa_index != ifindex || !(ifa->ifa_flags & IFA_F_PERMANENT) ||
			    ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
			    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
				continue;
			if (*n >= NETDEV_MAXADDR)
				return oci_err(err, OCI_E_LIMIT, "more than %d addresses",
					       NETDEV_MAXADDR);
			netdev_addr *ad = &out[*n];
			memset(ad, 0, sizeof(*ad));
			ad->family = ifa->ifa_family;
			ad->prefixlen = ifa->ifa_prefixlen;
			ad->alen = ifa->ifa_family == AF_INET ? 4 : 16;
			const char *attrs = (const char *)ifa + NLMSG_ALIGN(sizeof(*ifa));
			size_t alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)), aoff = 0;
			const struct rtattr *a;
			while ((a = rta_next(attrs, alen, &aoff))) {
				if (RTA_PAYLOAD(a) != ad->alen)
					continue;
				if (a->rta_type == IFA_LOCAL) {
					memcpy(ad->local, RTA_DATA(a), ad->alen);
					ad->has_local = true;
				} else if (a->rta_type == IFA_ADDRESS) {
					memcpy(ad->address, RTA_DATA(a), ad->alen);
					ad->has_address = true;
				}
			}
			if (ad->has_local || ad->has_address)
				(*n)++;
		}
	}
}

static int addr_add(int s, int ifindex, const netdev_addr *ad)
{
	nl_req r;
	nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
		sizeof(struct ifaddrmsg));
	r.ifa.ifa_family = ad->family;
	r.ifa.ifa_prefixlen = ad->prefixlen;
	r.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	r.ifa.ifa_index = (unsigned)ifindex;
	if (ad->has_local)
		nl_attr(&r, IFA_LOCAL, ad->local, ad->alen);
	if (ad->has_address)
		nl_attr(&r, IFA_ADDRESS, ad->address, ad->alen);
	return nl_talk(s, &r, NULL, NULL);
}

static int link_up(int s, int ifindex)
{
	nl_req r;
	nl_init(&r, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = ifindex;
	r.ifi.ifi_flags = IFF_UP;
	r.ifi.ifi_change = IFF_UP;
	return nl_talk(s, &r, NULL, NULL);
}

/* Remove the alternative name alt of device ifindex. */
static int altname_del(int s, int ifindex, const char *alt)
{
	nl_req r;
	nl_init(&r, RTM_DELLINKPROP, NLM_F_ACK, sizeof(struct ifinfomsg));
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = ifindex;
	char nest[RTA_SPACE(ALTIFNAMSIZ)];
	struct rtattr *a = (struct rtattr *)nest;
	size_t len = strlen(alt) + 1;
	if (len > ALTIFNAMSIZ)
		return -EINVAL;
	a->rta_type = IFLA_ALT_IFNAME;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), alt, len);
	nl_attr(&r, IFLA_PROP_LIST | NLA_F_NESTED, nest, RTA_ALIGN(a->rta_len));
	return nl_talk(s, &r, NULL, NULL);
}

/* An alternative name the device has inside but had not on the host was given by the
 * container: it goes before the device does (the kernel moves them with it). */
static int strip_altnames(int ns_sock, const netdev_link *now, const netdev_rec *r)
{
	const char *p = now->alts;
	while (*p) {
		const char *nl = strchr(p, '\n');
		char alt[ALTIFNAMSIZ];
		snprintf(alt, sizeof(alt), "%.*s", (int)(nl - p), p);
		char want[ALTIFNAMSIZ + 2];
		snprintf(want, sizeof(want), "%s\n", alt);
		bool had = false;
		for (const char *q = r->alts; q && *q && !had;
		     q = strchr(q, '\n'), q = q ? q + 1 : q)
			had = !strncmp(q, want, strlen(want));
		int e = had ? 0 : altname_del(ns_sock, now->ifindex, alt);
		if (e < 0)
			return e;
		p = nl + 1;
	}
	return 0;
}

/* Device ifindex of socket s's namespace into the namespace to_fd, named name there, in one
 * request; with new_index set, under that index there (IFLA_NEW_IFINDEX, Linux 5.13: -EBUSY,
 * and nothing moved, when the index is taken). Not one step, whatever runc's comment says:
 * the kernel uses the name during the move only when the device's own name is taken there,
 * and otherwise renames it after the move, so a clash with name fails the request with the
 * device already moved (move_in_one() looks for the clash first). */
static int link_move(int s, int ifindex, int to_fd, const char *name, int new_index)
{
	nl_req r;
	nl_init(&r, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = ifindex;
	uint32_t fd = (uint32_t)to_fd;
	nl_attr(&r, IFLA_NET_NS_FD, &fd, sizeof(fd));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (new_index > 0) {
		int32_t ni = new_index;
		nl_attr(&r, IFLA_NEW_IFINDEX, &ni, sizeof(ni));
	}
	return nl_talk(s, &r, NULL, NULL);
}

/* The move into a namespace others may share (one joined by path): the device goes in under
 * an index chosen here, its own when that is free there, else an unguessable one, so every
 * later step finds it by that index. A process of that namespace may rename it the moment it
 * arrives and make another device under its name: a name means nothing once it is there.
 * *index is the one it has inside when the request succeeded (or may have, when it failed). */
static int link_move_in(int s, int ifindex, int to_fd, const char *name, int *index)
{
	int e = -EBUSY;
	*index = ifindex;
	for (int i = 0; i < 8 && e == -EBUSY; i++) {
		uint32_t v;
		if (i > 0) {
			if (getrandom(&v, sizeof(v), 0) != sizeof(v))
				return -errno;
			*index = (int)(0x10000 + v % 0x3fff0000u);
		}
		e = link_move(s, ifindex, to_fd, name, *index);
	}
	return e;
}

/* The id the namespace of socket s gives the namespace fd (RTM_GETNSID), or -1 (none). */
static int nsid_of(int s, int fd)
{
	nl_req r;
	nl_init(&r, RTM_GETNSID, 0, sizeof(struct rtgenmsg));
	uint32_t v = (uint32_t)fd;
	nl_attr(&r, NETNSA_FD, &v, sizeof(v));
	cleanup_free nl_buf *reply = malloc(sizeof(*reply));
	size_t len = 0;
	if (!reply || nl_talk(s, &r, reply, &len) < 0 || reply->h.nlmsg_type != RTM_NEWNSID ||
	    len < NLMSG_SPACE(sizeof(struct rtgenmsg)))
		return -1;
	const char *attrs = reply->b + NLMSG_SPACE(sizeof(struct rtgenmsg));
	size_t alen = len - NLMSG_SPACE(sizeof(struct rtgenmsg)), off = 0;
	const struct rtattr *a;
	while ((a = rta_next(attrs, alen, &off))) {
		int32_t id;
		if (a->rta_type == NETNSA_NSID && RTA_PAYLOAD(a) >= sizeof(id)) {
			memcpy(&id, RTA_DATA(a), sizeof(id));
			return id;
		}
	}
	return -1;
}

#define UPPERS_MAX 64

typedef struct uppers_ctx {
	int index;
	int32_t nsid;
	int *found;
	size_t max, *n;
} uppers_ctx;

static int uppers_each(void *ctx, const struct nlmsghdr *h)
{
	uppers_ctx *u = ctx;
	if (h->nlmsg_type == NLMSG_DONE)
		return 0;
	if (h->nlmsg_type == NLMSG_ERROR)
		return -EBADMSG;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 1;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const char *attrs = (const char *)ifi + NLMSG_ALIGN(sizeof(*ifi));
	size_t alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)), aoff = 0;
	const struct rtattr *a;
	int32_t link = 0, link_ns = -1;
	while ((a = rta_next(attrs, alen, &aoff))) {
		if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) >= sizeof(link))
			memcpy(&link, RTA_DATA(a), sizeof(link));
		else if (a->rta_type == IFLA_LINK_NETNSID && RTA_PAYLOAD(a) >= sizeof(link_ns))
			memcpy(&link_ns, RTA_DATA(a), sizeof(link_ns));
	}
	if (link == u->index && link_ns >= 0 && link_ns == u->nsid && *u->n < u->max)
		u->found[(*u->n)++] = ifi->ifi_index;
	return 1;
}

/* Devices of the namespace of socket s whose lower device is index in the namespace it calls
 * nsid (IFLA_LINK, IFLA_LINK_NETNSID): up to max of them. Listing them gives every namespace
 * one of its devices points into an id there, if it had none. 0 or -errno. */
static int uppers_find(int s, int index, int32_t nsid, int *found, size_t max, size_t *n)
{
	nl_req r;
	nl_init(&r, RTM_GETLINK, NLM_F_DUMP, sizeof(struct ifinfomsg));
	r.ifi.ifi_family = AF_UNSPEC;
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;
	nl_attr(&r, IFLA_EXT_MASK, &mask, sizeof(mask));
	*n = 0;
	uppers_ctx u = {index, nsid, found, max, n};
	return nl_exchange(s, &r, uppers_each, &u);
}

/* After device host_index went back to the host (host_fd): the devices the container's
 * namespace (socket s) stacked on it while it was there (a macvlan, ipvlan, vlan...) outlive
 * the move (the kernel keeps an upper whose lower only changed namespace) and would keep that
 * namespace on the host's interface, which matters where the namespace lives on (one joined
 * by path). They are deleted; none can be added once the device is on the host, so rounds of
 * UPPERS_MAX end. */
static void uppers_del(int s, int host_fd, int host_index, const char *who, const char *host)
{
	int found[UPPERS_MAX];
	size_t n = 0;
	int host_id = nsid_of(s, host_fd), e = 0;
	if (host_id < 0 && (e = uppers_find(s, host_index, -1, found, 0, &n)) == 0)
		host_id =
		    nsid_of(s, host_fd); /* the listing gave it one if a device points there */
	while (e == 0 && host_id >= 0) {
		if ((e = uppers_find(s, host_index, host_id, found, UPPERS_MAX, &n)) < 0)
			break;
		size_t deleted = 0;
		for (size_t i = 0; i < n; i++) {
			nl_req r;
			nl_init(&r, RTM_DELLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
			r.ifi.ifi_family = AF_UNSPEC;
			r.ifi.ifi_index = found[i];
			int d = nl_talk(s, &r, NULL, NULL);
			if (d < 0 && d != -ENODEV) {
				log_warn("%s: cannot delete interface %d the container stacked on "
					 "'%s': %s",
					 who, found[i], host, strerror(-d));
				continue;
			}
			deleted++;
			log_debug("%s: interface %d the container stacked on '%s' deleted", who,
				  found[i], host);
		}
		if (n < UPPERS_MAX || !deleted)
			return;
	}
	if (e < 0)
		log_warn("%s: cannot look for interfaces the container stacked on '%s': %s", who,
			 host, strerror(-e));
}

/* ---- the pin and the record in the state directory ---- */

static int pin_netns(int dirfd, int netns_fd, oci_error *err)
{
	cleanup_close int fd =
	    openat(dirfd, NETNS_PIN, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot create '%s' in the state directory",
				     NETNS_PIN);
	char src[64], dst[64];
	snprintf(src, sizeof(src), "/proc/self/fd/%d", netns_fd);
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d", fd);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0) {
		int e = errno;
		unlinkat(dirfd, NETNS_PIN, 0);
		return oci_err_errno(err, e, "cannot pin the container's network namespace");
	}
	return 0;
}

static void unpin_netns(int dirfd)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d/" NETNS_PIN, dirfd);
	for (int i = 0; i < 8 && umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
		;
	unlinkat(dirfd, NETNS_PIN, 0);
}

/* The pinned namespace, or -1 when there is none (never pinned, or not a network one). */
static int open_pinned(int dirfd)
{
	int fd = openat(dirfd, NETNS_PIN, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs sfs;
	if (fd >= 0 && (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC ||
			ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int record_write(int dirfd, const netdev_rec *recs, size_t n, oci_error *err)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:i,s:s}", "host",
						       recs[i].host, "name", recs[i].name, "kind",
						       recs[i].kind, "ifindex", recs[i].ifindex,
						       "altnames", recs[i].alts)))
			json_decref(a), a = NULL;
	cleanup_free char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "cannot build %s", NETDEV_RECORD);
	return oci_write_file_atomic(dirfd, NETDEV_RECORD, s, strlen(s), 0600, err);
}

static bool copy_name(char *dst, size_t cap, json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) >= cap)
		return false;
	strcpy(dst, s);
	return true;
}

/* The record, checked item by item; *n = 0 when there is none. */
static netdev_rec *record_read(int dirfd, size_t *n)
{
	*n = 0;
	oci_error e = OCI_ERROR_INIT;
	json_t *a = oci_json_load_file_at(dirfd, NETDEV_RECORD, 1 << 20, &e);
	if (!a) {
		if (e.code != OCI_E_NOTFOUND)
			log_warn("%s: %s", NETDEV_RECORD, e.msg);
		return NULL;
	}
	netdev_rec *recs = json_is_array(a) ? calloc(json_array_size(a) + 1, sizeof(*recs)) : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (!recs)
			break;
		netdev_rec *r = &recs[*n];
		json_t *ix = json_object_get(v, "ifindex");
		if (!copy_name(r->host, sizeof(r->host), json_object_get(v, "host")) ||
		    !copy_name(r->name, sizeof(r->name), json_object_get(v, "name")) ||
		    !copy_name(r->kind, sizeof(r->kind), json_object_get(v, "kind")) ||
		    /* a record of an oci-run before altnames were recorded has none */
		    (json_object_get(v, "altnames") &&
		     !copy_name(r->alts, sizeof(r->alts), json_object_get(v, "altnames"))) ||
		    !json_is_integer(ix) || json_integer_value(ix) <= 0 ||
		    json_integer_value(ix) > INT32_MAX) {
			log_warn("%s: item %zu is not a device record: ignored", NETDEV_RECORD, i);
			continue;
		}
		r->ifindex = (int)json_integer_value(ix);
		(*n)++;
	}
	json_decref(a);
	return recs;
}

/* ---- moving ---- */

/* Only what the kernel itself would give back (a physical device, no kind: a container cannot
 * make one) or a device with no peer and no lower device, as harmless on the host whoever made
 * it (a dummy, an ifb), goes back; a veth end, a macvlan, a tunnel... die with the namespace,
 * so a device of the container's making can never link the host to it. */
static bool returnable_kind(const char *kind)
{
	return !*kind || !strcmp(kind, "dummy") || !strcmp(kind, "ifb");
}

/* any_kind: create's own undo in a namespace of its own, where nothing ran yet (in one
 * joined by path, others may already have put a device of theirs under the index and kind:
 * only returnable kinds go back). host_sock: the host's namespace, where r->host must be free
 * before the move (link_move() renames after it). */
static void move_back_one(int ns_sock, int host_sock, int host_fd, const netdev_rec *r,
			  const char *who, bool any_kind)
{
	netdev_link now;
	int e = link_get(ns_sock, r->ifindex, NULL, &now);
	if (e == -ENODEV) {
		log_debug("%s: interface '%s' is gone from the container's namespace", who,
			  r->host);
		return;
	}
	if (e < 0) {
		log_warn("%s: interface '%s' (index %d in the container): %s", who, r->host,
			 r->ifindex, strerror(-e));
		return;
	}
	if (strcmp(now.kind, r->kind)) {
		log_warn(
		    "%s: interface %d in the container ('%s', kind '%s') is not the '%s' moved "
		    "in: left to the kernel",
		    who, r->ifindex, now.name, now.kind, r->host);
		return;
	}
	if (!any_kind && !returnable_kind(r->kind)) {
		log_debug("%s: interface '%s' (kind '%s') stays in the container's namespace", who,
			  r->host, r->kind);
		return;
	}
	/* The kernel moves the device under the name the container gave it and renames it
	 * after: with the host's name taken, it would stay on the host under the container's
	 * choice. So a taken name keeps it in the container's namespace. */
	if ((e = strip_altnames(ns_sock, &now, r)) < 0) {
		log_warn(
		    "%s: cannot remove the alternative names the container gave '%s': %s (left "
		    "to the kernel)",
		    who, r->host, strerror(-e));
		return;
	}
	netdev_link taken;
	e = link_get(host_sock, 0, r->host, &taken);
	if (e == 0)
		e = -EEXIST;
	else if (e == -ENODEV)
		e = link_move(ns_sock, r->ifindex, host_fd, r->host, 0);
	if (e < 0 && link_get(ns_sock, r->ifindex, NULL, &taken) == -ENODEV)
		log_warn("%s: '%s' went back to the host but not under its name ('%s'): %s", who,
			 r->host, now.name, strerror(-e));
	else if (e == -EEXIST)
		log_warn("%s: cannot give '%s' back: the host has another interface of that name "
			 "now (left to the kernel)",
			 who, r->host);
	else if (e < 0)
		log_warn("%s: cannot give '%s' back to the host: %s", who, r->host, strerror(-e));
	else {
		log_debug("%s: interface '%s' (in the container '%s') is back on the host", who,
			  r->host, now.name);
		netdev_link back;
		if (link_get(host_sock, 0, r->host, &back) == 0)
			uppers_del(ns_sock, host_fd, back.ifindex, who, r->host);
	}
}

/* One device of the host moved into netns_fd; r is filled once it is there (*moved set),
 * even when what follows the move fails. */
static int move_in_one(int host_sock, int ns_sock, int netns_fd, const oci_config_kv *kv,
		       netdev_rec *r, bool *moved, oci_error *err)
{
	const char *host = kv->key, *name = kv->value;
	netdev_link link;
	int e = link_get(host_sock, 0, host, &link);
	if (e == -ENODEV)
		return oci_err(err, OCI_E_NOTFOUND,
			       "linux.netDevices: the host has no interface '%s'", host);
	if (e < 0)
		return oci_err_errno(err, -e, "linux.netDevices: interface '%s'", host);
	if (link.flags & IFF_LOOPBACK)
		return oci_err(err, OCI_E_INVALID,
			       "linux.netDevices: '%s' is the host's loopback interface: it cannot "
			       "be moved",
			       host);
	netdev_addr addrs[NETDEV_MAXADDR];
	size_t naddrs = 0;
	if (addrs_get(host_sock, link.ifindex, addrs, &naddrs, err) < 0)
		return oci_err_prefix(err, "linux.netDevices: interface '%s'", host);
	/* The kernel takes IFLA_IFNAME in the move only when the device's own name clashes
	 * inside; otherwise it moves the device and then renames it, and a clash there fails
	 * the request with the device already moved. So a clash is looked for first, and a
	 * failed move is checked for a device that left anyway. */
	netdev_link in;
	int index = 0;
	e = link_get(ns_sock, 0, name, &in);
	if (e == 0)
		e = -EEXIST;
	else if (e == -ENODEV)
		e = link_move_in(host_sock, link.ifindex, netns_fd, name, &index);
	if (e < 0 && index > 0 && link_get(host_sock, link.ifindex, NULL, &in) == -ENODEV &&
	    link_get(ns_sock, index, NULL, &in) == 0) {
		snprintf(r->host, sizeof(r->host), "%s", host);
		snprintf(r->name, sizeof(r->name), "%s", host);
		snprintf(r->kind, sizeof(r->kind), "%s", link.kind);
		snprintf(r->alts, sizeof(r->alts), "%s", link.alts);
		r->ifindex = in.ifindex;
		*moved = true;
	}
	if (e == -EEXIST)
		return oci_err(err, OCI_E_INVALID,
			       "linux.netDevices: cannot move '%s' in as '%s': the container's "
			       "network namespace has an interface of that name",
			       host, name);
	if (e == -EINVAL && strcmp(host, name))
		return oci_err(err, OCI_E_INVALID,
			       "linux.netDevices: cannot move '%s' in as '%s': the kernel keeps it "
			       "in the host's namespace or refuses the name",
			       host, name);
	if (e == -EINVAL)
		return oci_err(err, OCI_E_INVALID,
			       "linux.netDevices: cannot move '%s': the kernel keeps it in the "
			       "host's network namespace",
			       host);
	if (e == -EBUSY)
		return oci_err(
		    err, OCI_E_INVALID,
		    "linux.netDevices: cannot move '%s' in: every index tried is taken in "
		    "the container's network namespace",
		    host);
	if (e < 0)
		return oci_err_errno(err, -e, "linux.netDevices: cannot move '%s' in", host);
	/* By the index it was given, never by name: in a namespace joined by path another
	 * process may already have renamed it and put a device of its own under the name. */
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->kind, sizeof(r->kind), "%s", link.kind);
	snprintf(r->alts, sizeof(r->alts), "%s", link.alts);
	r->ifindex = index;
	*moved = true;
	e = link_get(ns_sock, index, NULL, &in);
	if (e == 0 && strcmp(in.kind, link.kind))
		e = -ENODEV; /* another device under the index: ours was deleted there */
	if (e == -ENODEV)
		return oci_err(
		    err, OCI_E_IO,
		    "linux.netDevices: '%s' moved in as '%s' (index %d) is gone from the "
		    "container's network namespace",
		    host, name, index);
	if (e < 0)
		return oci_err_errno(err, -e, "linux.netDevices: '%s' moved in as '%s'", host,
				     name);
	/* a pattern ("eth%d", runtime-spec 1.3) is the kernel's to number: the record keeps
	 * the name it gave */
	if (strchr(name, '%'))
		snprintf(r->name, sizeof(r->name), "%s", in.name);
	else if (strcmp(in.name, name))
		log_debug("interface '%s' was renamed '%s' in the container's namespace as it "
			  "arrived",
			  host, in.name);
	for (size_t i = 0; i < naddrs; i++)
		if ((e = addr_add(ns_sock, in.ifindex, &addrs[i])) < 0)
			return oci_err_errno(err, -e,
					     "linux.netDevices: cannot add the addresses of '%s' "
					     "inside",
					     host);
	if ((e = link_up(ns_sock, in.ifindex)) < 0)
		return oci_err_errno(err, -e, "linux.netDevices: cannot set '%s' up inside", name);
	log_debug("interface '%s' moved into the container as '%s' (index %d, %zu addresses)", host,
		  in.name, in.ifindex, naddrs);
	return 0;
}

int oci_netdev_move_in(const oci_config_linux *l, pid_t init, int join_fd, int dirfd,
		       oci_error *err)
{
	if (!l->n_net_devices)
		return 0;
	if (geteuid() != 0)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.netDevices: moving network devices needs root (runc refuses "
			       "them for rootless containers too)");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	cleanup_close int netns_fd =
	    join_fd >= 0 ? fcntl(join_fd, F_DUPFD_CLOEXEC, 0) : open(path, O_RDONLY | O_CLOEXEC);
	if (netns_fd < 0)
		return oci_err_errno(err, errno,
				     "linux.netDevices: the container's network namespace");
	cleanup_close int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat hs, cs;
	if (host < 0 || fstat(host, &hs) < 0 || fstat(netns_fd, &cs) < 0)
		return oci_err_errno(err, errno, "linux.netDevices: network namespaces");
	if (hs.st_dev == cs.st_dev && hs.st_ino == cs.st_ino)
		return oci_err(err, OCI_E_INVALID,
			       "linux.netDevices: the container's network namespace is the "
			       "runtime's own: give the container a network namespace of its own");
	cleanup_close int host_sock = nl_open(-1, host, err);
	if (host_sock < 0)
		return oci_err_prefix(err, "linux.netDevices");
	cleanup_close int ns_sock = nl_open(netns_fd, host, err);
	if (ns_sock < 0)
		return oci_err_prefix(err, "linux.netDevices");
	cleanup_free netdev_rec *recs = calloc(l->n_net_devices, sizeof(*recs));
	if (!recs)
		return oci_err_errno(err, ENOMEM, "linux.netDevices");
	/* Pinned before anything moves: a runtime killed halfway leaves delete --force what it
	 * needs. */
	if (pin_netns(dirfd, netns_fd, err) < 0)
		return oci_err_prefix(err, "linux.netDevices");
	size_t n = 0;
	for (size_t i = 0; i < l->n_net_devices; i++) {
		bool moved = false;
		int r = move_in_one(host_sock, ns_sock, netns_fd, &l->net_devices[i], &recs[n],
				    &moved, err);
		n += moved;
		if (r < 0 || (moved && record_write(dirfd, recs, n, err) < 0))
			goto fail;
	}
	return 0;
fail:
	for (size_t i = n; i-- > 0;)
		move_back_one(ns_sock, host_sock, host, &recs[i], "create", join_fd < 0);
	unlinkat(dirfd, NETDEV_RECORD, 0);
	unpin_netns(dirfd);
	return -1;
}

bool oci_netdev_recorded(int dirfd)
{
	return faccessat(dirfd, NETDEV_RECORD, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	       faccessat(dirfd, NETNS_PIN, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

void oci_netdev_move_back(int rootfd, const char *id)
{
	cleanup_close int dirfd =
	    openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return;
	size_t n;
	cleanup_free netdev_rec *recs = record_read(dirfd, &n);
	cleanup_close int ns = open_pinned(dirfd);
	unpin_netns(dirfd);
	unlinkat(dirfd, NETDEV_RECORD, 0);
	if (ns < 0 || !n)
		return;
	char who[128];
	snprintf(who, sizeof(who), "container '%s'", id);
	oci_error err = OCI_ERROR_INIT;
	cleanup_close int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat hs, cs;
	if (host < 0 || fstat(host, &hs) < 0 || fstat(ns, &cs) < 0 ||
	    (hs.st_dev == cs.st_dev && hs.st_ino == cs.st_ino)) {
		log_warn("%s: its pinned network namespace is not usable: interfaces left to the "
			 "kernel",
			 who);
		return;
	}
	cleanup_close int sock = nl_open(ns, host, &err);
	cleanup_close int host_sock = sock < 0 ? -1 : nl_open(-1, host, &err);
	if (sock < 0 || host_sock < 0) {
		log_warn("%s: %s: interfaces left to the kernel", who, err.msg);
		return;
	}
	for (size_t i = n; i-- > 0;)
		move_back_one(sock, host_sock, host, &recs[i], who, false);
}
