// SPDX-License-Identifier: GPL-2.0
/*
 * sim-copy: copy IN to OUT until end of file or an error, then print how it
 * ended and how many bytes were copied:
 *
 *   sim-copy IN OUT [BUFSIZE]
 *
 * Prints "EOF 1048576" (IN ended), "EIO 204800" (a read of IN failed with
 * EIO) or "write-ENXIO 8192" (a write to OUT failed).  dd and cat print
 * strerror text and hide partial counts; tests compare errno names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errno_name(int e)
{
	switch (e) {
	case EIO:
		return "EIO";
	case ENXIO:
		return "ENXIO";
	case EPIPE:
		return "EPIPE";
	case EAGAIN:
		return "EAGAIN";
	case EINVAL:
		return "EINVAL";
	case ENODEV:
		return "ENODEV";
	case ENOENT:
		return "ENOENT";
	case EBUSY:
		return "EBUSY";
	case ENOSPC:
		return "ENOSPC";
	default:
		return "OTHER";
	}
}

int main(int argc, char **argv)
{
	size_t bufsize = argc > 3 ? strtoul(argv[3], NULL, 0) : 65536;
	unsigned long long total = 0;
	char end[32] = "EOF";
	int in, out;
	char *buf;

	if (argc < 3 || !bufsize) {
		fprintf(stderr, "usage: sim-copy IN OUT [BUFSIZE]\n");
		return 2;
	}
	buf = malloc(bufsize);
	in = open(argv[1], O_RDONLY);
	if (in < 0) {
		printf("open-%s 0\n", errno_name(errno));
		return 1;
	}
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		printf("open-%s 0\n", errno_name(errno));
		return 1;
	}
	if (!buf)
		return 1;
	for (;;) {
		ssize_t n = read(in, buf, bufsize), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			snprintf(end, sizeof(end), "%s", errno_name(errno));
		if (n <= 0)
			break;
		while (done < n) {
			ssize_t w = write(out, buf + done, n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				snprintf(end, sizeof(end), "write-%s",
					 w < 0 ? errno_name(errno) : "ZERO");
				break;
			}
			done += w;
			total += w;
		}
		if (done < n)
			break;
	}
	close(out);
	printf("%s %llu\n", end, total);
	return 0;
}
