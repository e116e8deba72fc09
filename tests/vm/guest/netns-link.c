// SPDX-License-Identifier: GPL-2.0
/*
 * netns-link: move a network interface into the network namespace of a
 * process (what `ip link set IFNAME netns PID` does; busybox's ip cannot).
 * The emulated-fabric tests have both ends of a thunderbolt-net link in one
 * guest: with one end in its own namespace, traffic between them crosses
 * the cable instead of the kernel's local route.
 *
 *   netns-link IFNAME PID
 *
 * Exit status: 0 moved, 1 the kernel refused (its error printed), 2 bad usage.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct link_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	struct rtattr ns_attr;
	__u32 ns_pid;
};

int main(int argc, char **argv)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct link_req req;
	char reply[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)reply;
	unsigned int ifindex;
	char *end;
	long pid;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: netns-link IFNAME PID\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "netns-link: no interface %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	pid = strtol(argv[2], &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "netns-link: bad PID '%s'\n", argv[2]);
		return 2;
	}

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	req.ns_attr.rta_type = IFLA_NET_NS_PID;
	req.ns_attr.rta_len = RTA_LENGTH(sizeof(req.ns_pid));
	req.ns_pid = pid;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		perror("netns-link: netlink socket");
		return 1;
	}
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		perror("netns-link: sending RTM_NEWLINK");
		return 1;
	}
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0) {
		perror("netns-link: reading the kernel's answer");
		return 1;
	}
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || nh->nlmsg_type != NLMSG_ERROR) {
		fprintf(stderr, "netns-link: unexpected answer (type %u, %zd bytes)\n",
			n >= (ssize_t)sizeof(*nh) ? nh->nlmsg_type : 0, n);
		return 1;
	}
	if (((struct nlmsgerr *)NLMSG_DATA(nh))->error) {
		fprintf(stderr, "netns-link: moving %s to the namespace of %ld: %s\n", argv[1], pid,
			strerror(-((struct nlmsgerr *)NLMSG_DATA(nh))->error));
		return 1;
	}
	close(fd);
	return 0;
}
