/* SPDX-License-Identifier: MIT */
/* udp_test_pvt.h - loopback address helpers shared by the suites that talk UDP (io, relay). */
#ifndef PC_UDP_TEST_PVT_H
#define PC_UDP_TEST_PVT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "pc_pkt.h"

/* The loopback address of @family (AF_INET: 127.0.0.1, AF_INET6: ::1) at @port. */
static inline union pc_pkt_addr pc_test_loopback(int family, uint16_t port)
{
	union pc_pkt_addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
		a.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		a.in6.sin6_addr = in6addr_loopback;
	}
	return a;
}

static inline socklen_t pc_test_addr_len(const union pc_pkt_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in);
}

static inline uint16_t pc_test_port_of(const union pc_pkt_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in4.sin_port);
}

#endif /* PC_UDP_TEST_PVT_H */
