// SPDX-License-Identifier: GPL-2.0
/*
 * sim-uevent: print the kernel's uevents for one subsystem, one line each,
 * the way udev would receive them (no udev in the test guest):
 *
 *   sim-uevent SUBSYSTEM SECONDS > FILE &
 *
 * Prints "READY" once it listens, then for every uevent of SUBSYSTEM:
 *   ACTION NAME DEVTYPE [MODALIAS]
 * where NAME is the last component of DEVPATH and "-" stands for a missing
 * value.  Exits after SECONDS, or on SIGTERM.
 */
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = 1};
	static char buf[16384];
	double end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: sim-uevent SUBSYSTEM SECONDS\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("sim-uevent: netlink");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("READY\n");

	while (now() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		const char *action = "-", *devpath = "-", *devtype = "-";
		const char *subsystem = "", *modalias = NULL, *name;
		ssize_t len;
		char *p;

		if (poll(&pfd, 1, (int)((end - now()) * 1000) + 1) <= 0)
			continue;
		len = recv(fd, buf, sizeof(buf) - 1, 0);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "action@devpath\0KEY=VALUE\0..." */
		for (p = buf + strlen(buf) + 1; p < buf + len; p += strlen(p) + 1) {
			if (!strncmp(p, "ACTION=", 7))
				action = p + 7;
			else if (!strncmp(p, "DEVPATH=", 8))
				devpath = p + 8;
			else if (!strncmp(p, "DEVTYPE=", 8))
				devtype = p + 8;
			else if (!strncmp(p, "SUBSYSTEM=", 10))
				subsystem = p + 10;
			else if (!strncmp(p, "MODALIAS=", 9))
				modalias = p + 9;
		}
		if (strcmp(subsystem, argv[1]))
			continue;
		name = strrchr(devpath, '/');
		name = name ? name + 1 : devpath;
		if (modalias)
			printf("%s %s %s %s\n", action, name, devtype, modalias);
		else
			printf("%s %s %s\n", action, name, devtype);
	}
	return 0;
}
