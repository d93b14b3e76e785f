/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packets led past the net rules by routing options, tried for real by test-route.sh.
 *
 *   route capture                          print every packet on lo that carries a tag:
 *                                          "cap dst=ADDR tag=TAG" (root; until killed)
 *   route six GRANTED DENIED PORT TAG      an IPv6 segment routing header whose segment list
 *                                          leads to DENIED, set as a socket option and sent as
 *                                          control data, then datagrams to GRANTED
 *   route four GRANTED DENIED PORT TAG     an IPv4 loose source route through DENIED (IP_OPTIONS,
 *                                          IP_RETOPTS), then datagrams to GRANTED
 *
 * Each attempt prints "NAME ret=R errno=E"; the payload of each datagram is "tag-TAG-NAME", so
 * that the capture tells which send reached which address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/in6.h>

#ifndef IPV6_SRCRT_TYPE_4
#define IPV6_SRCRT_TYPE_4 4 /* segment routing (<linux/ipv6.h>, which clashes with libc) */
#endif

static void report(const char *what, long r)
{
	int e = errno;
	printf("%s ret=%ld errno=%s\n", what, r, r < 0 ? strerrorname_np(e) : "0");
	fflush(stdout);
}

static int capture(void)
{
	int s = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex("lo") };
	if (s < 0 || bind(s, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		perror("capture");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		unsigned char b[2048];
		char dst[INET6_ADDRSTRLEN] = "?";
		ssize_t n = recv(s, b, sizeof(b) - 1, 0);
		if (n < 20)
			continue;
		b[n] = 0;
		if ((b[0] >> 4) == 6 && n >= 40)
			inet_ntop(AF_INET6, b + 24, dst, sizeof(dst));
		else if ((b[0] >> 4) == 4)
			inet_ntop(AF_INET, b + 16, dst, sizeof(dst));
		unsigned char *t = memmem(b, (size_t)n, "tag-", 4);
		if (!t)
			continue;
		size_t len = strnlen((char *)t, (size_t)(b + n - t));
		printf("cap dst=%s tag=%.*s\n", dst, (int)len, (char *)t);
		fflush(stdout);
	}
}

struct target {
	int family;
	struct sockaddr_storage granted, denied;
	socklen_t len;
	const char *tag;
};

static int parse(int family, char **argv, struct target *t)
{
	uint16_t port = htons((uint16_t)atoi(argv[2]));
	t->family = family;
	t->tag = argv[3];
	if (family == AF_INET6) {
		struct sockaddr_in6 *g = (void *)&t->granted, *d = (void *)&t->denied;
		*g = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = port };
		*d = *g;
		t->len = sizeof(*g);
		return inet_pton(AF_INET6, argv[0], &g->sin6_addr) == 1 &&
				       inet_pton(AF_INET6, argv[1], &d->sin6_addr) == 1
			       ? 0
			       : -1;
	}
	struct sockaddr_in *g = (void *)&t->granted, *d = (void *)&t->denied;
	*g = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = port };
	*d = *g;
	t->len = sizeof(*g);
	return inet_pton(AF_INET, argv[0], &g->sin_addr) == 1 &&
			       inet_pton(AF_INET, argv[1], &d->sin_addr) == 1
		       ? 0
		       : -1;
}

static void payload(const struct target *t, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "tag-%s-%s", t->tag, name);
}

/* sendto the granted address, and send on a socket connected to it. */
static void sends(int s, const struct target *t, const char *name)
{
	char w[64], p[96];
	payload(t, name, p, sizeof(p));
	snprintf(w, sizeof(w), "sendto-%s", name);
	report(w, sendto(s, p, strlen(p), 0, (const struct sockaddr *)&t->granted, t->len));
	snprintf(w, sizeof(w), "connect-%s", name);
	report(w, connect(s, (const struct sockaddr *)&t->granted, t->len));
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "-connected");
	snprintf(w, sizeof(w), "send-%s", name);
	report(w, send(s, p, strlen(p), 0));
}

/* sendmsg with one control message, to the granted address or (to == NULL) on a connected one. */
static void send_cmsg(const struct target *t, const char *name, int level, int type,
		      const void *data, size_t len, bool connected)
{
	union {
		char b[CMSG_SPACE(256)];
		struct cmsghdr a;
	} u;
	char p[96], w[64];
	int s = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	payload(t, name, p, sizeof(p));
	struct iovec iov = { p, strlen(p) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.b,
			     .msg_controllen = CMSG_SPACE(len) };
	memset(&u, 0, sizeof(u));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	if (connected) {
		connect(s, (const struct sockaddr *)&t->granted, t->len);
	} else {
		mh.msg_name = (void *)&t->granted;
		mh.msg_namelen = t->len;
	}
	snprintf(w, sizeof(w), "sendmsg-%s", name);
	report(w, sendmsg(s, &mh, 0));
	close(s);
}

/*
 * A segment routing header (type 4, struct ipv6_sr_hdr of <linux/seg6.h> with its segments) whose
 * only hop before the destination is the denied address.
 */
struct srh2 {
	uint8_t nexthdr, hdrlen, type, segments_left, first_segment, flags;
	uint16_t tag;
	struct in6_addr seg[2];
};

/*
 * A flow label whose options carry a routing header (IPV6_FLOWLABEL_MGR: the request, then
 * control messages), used by a sendto that names the label (IPV6_FLOWINFO_SEND, sin6_flowinfo):
 * the kernel merges the label's options into the packet. It takes a type 2 header where the
 * kernel has Mobile IPv6 (CONFIG_IPV6_MIP6), EINVAL elsewhere.
 */
static void flowlabel(const struct target *t, const void *rthdr, size_t len)
{
	const size_t head = CMSG_ALIGN(sizeof(struct in6_flowlabel_req));
	union {
		char b[CMSG_ALIGN(sizeof(struct in6_flowlabel_req)) + CMSG_SPACE(64)];
		struct in6_flowlabel_req f;
	} u;
	struct sockaddr_in6 to = *(const struct sockaddr_in6 *)&t->granted;
	char p[96];
	int one = 1;

	memset(&u, 0, sizeof(u));
	u.f = (struct in6_flowlabel_req){ .flr_dst = to.sin6_addr,
					  .flr_label = htonl(0x12345),
					  .flr_action = IPV6_FL_A_GET,
					  .flr_share = IPV6_FL_S_ANY,
					  .flr_flags = IPV6_FL_F_CREATE };
	struct cmsghdr *c = (struct cmsghdr *)(u.b + head);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_RTHDR;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), rthdr, len);
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-flowlabel-mgr", setsockopt(s, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, u.b,
						      (socklen_t)(head + CMSG_SPACE(len))));
	setsockopt(s, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &one, sizeof(one));
	to.sin6_flowinfo = u.f.flr_label;
	payload(t, "flowlabel", p, sizeof(p));
	report("sendto-flowlabel",
	       sendto(s, p, strlen(p), 0, (const struct sockaddr *)&to, sizeof(to)));
	close(s);
}

static void six(const struct target *t)
{
	struct srh2 r = { .hdrlen = (sizeof(struct srh2) >> 3) - 1,
			  .type = IPV6_SRCRT_TYPE_4,
			  .segments_left = 1,
			  .first_segment = 1 };
	r.seg[0] = ((const struct sockaddr_in6 *)&t->granted)->sin6_addr;
	r.seg[1] = ((const struct sockaddr_in6 *)&t->denied)->sin6_addr;

	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-rthdr", setsockopt(s, IPPROTO_IPV6, IPV6_RTHDR, &r, sizeof(r)));
	sends(s, t, "rthdr");
	close(s);

	/* The same with stray upper bits in level and optname: the kernel reads ints. */
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-rthdr-high-bits", syscall(SYS_setsockopt, s, IPPROTO_IPV6 | (1L << 32),
						     IPV6_RTHDR | (7L << 40), &r, sizeof(r)));
	sends(s, t, "rthdr-high-bits");
	close(s);

	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-2292rthdr", setsockopt(s, IPPROTO_IPV6, IPV6_2292RTHDR, &r, sizeof(r)));
	sends(s, t, "2292rthdr");
	close(s);

	/* Sticky options from a buffer of control messages, a routing header among them. */
	union {
		char b[CMSG_SPACE(sizeof(r))];
		struct cmsghdr a;
	} u;
	memset(&u, 0, sizeof(u));
	u.a.cmsg_level = IPPROTO_IPV6;
	u.a.cmsg_type = IPV6_RTHDR;
	u.a.cmsg_len = CMSG_LEN(sizeof(r));
	memcpy(CMSG_DATA(&u.a), &r, sizeof(r));
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-2292pktoptions",
	       setsockopt(s, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, u.b, CMSG_LEN(sizeof(r))));
	sends(s, t, "2292pktoptions");
	close(s);

	/* Type 2 (Mobile IPv6): one address, taken as the next hop where the kernel has it. */
	struct {
		uint8_t nexthdr, hdrlen, type, segments_left;
		uint32_t reserved;
		struct in6_addr addr;
	} r2 = { .hdrlen = 2,
		 .type = 2,
		 .segments_left = 1,
		 .addr = ((const struct sockaddr_in6 *)&t->denied)->sin6_addr };
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-rthdr-type2", setsockopt(s, IPPROTO_IPV6, IPV6_RTHDR, &r2, sizeof(r2)));
	sends(s, t, "rthdr-type2");
	close(s);
	flowlabel(t, &r2, sizeof(r2));
	send_cmsg(t, "cmsg-rthdr-type2", IPPROTO_IPV6, IPV6_RTHDR, &r2, sizeof(r2), false);
	send_cmsg(t, "cmsg-rthdr-type2-connected", IPPROTO_IPV6, IPV6_RTHDR, &r2, sizeof(r2), true);
	send_cmsg(t, "cmsg-rthdr", IPPROTO_IPV6, IPV6_RTHDR, &r, sizeof(r), false);
	send_cmsg(t, "cmsg-2292rthdr", IPPROTO_IPV6, IPV6_2292RTHDR, &r, sizeof(r), false);
	send_cmsg(t, "cmsg-rthdr-connected", IPPROTO_IPV6, IPV6_RTHDR, &r, sizeof(r), true);

	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sends(s, t, "clean");
	close(s);
}

static void four(const struct target *t)
{
	/* NOP, then a loose source route of one hop: the denied address. */
	unsigned char o[8] = { 1, 131, 7, 4 };
	memcpy(o + 4, &((const struct sockaddr_in *)&t->denied)->sin_addr, 4);

	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-ip-options", setsockopt(s, IPPROTO_IP, IP_OPTIONS, o, sizeof(o)));
	sends(s, t, "ip-options");
	close(s);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-ip-retopts", setsockopt(s, IPPROTO_IP, IP_RETOPTS, o, sizeof(o)));
	sends(s, t, "ip-retopts");
	close(s);

	send_cmsg(t, "cmsg-retopts", IPPROTO_IP, IP_RETOPTS, o, sizeof(o), false);
	send_cmsg(t, "cmsg-retopts-connected", IPPROTO_IP, IP_RETOPTS, o, sizeof(o), true);

	int one = 1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("setsockopt-ip-hdrincl", setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)));
	close(s);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sends(s, t, "clean");
	close(s);
}

int main(int argc, char **argv)
{
	struct target t;
	if (argc == 2 && strcmp(argv[1], "capture") == 0)
		return capture();
	if (argc == 6 && strcmp(argv[1], "six") == 0 && parse(AF_INET6, argv + 2, &t) == 0) {
		six(&t);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "four") == 0 && parse(AF_INET, argv + 2, &t) == 0) {
		four(&t);
		return 0;
	}
	fprintf(stderr, "usage: route capture | six|four GRANTED DENIED PORT TAG\n");
	return 2;
}
