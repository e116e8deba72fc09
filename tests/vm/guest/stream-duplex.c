// SPDX-License-Identifier: GPL-2.0
/*
 * stream-duplex: send and receive at the same time on ONE open file.
 *
 *   stream-duplex DEV BYTES BS TXSEED RXSEED [MYREADY PEERREADY]
 *
 * With MYREADY and PEERREADY, it creates MYREADY once the device is open and
 * waits for PEERREADY before it sends: as upstream, frames sent before the
 * peer has opened its end go nowhere.
 *
 * A thread writes BYTES pattern bytes (seeded TXSEED) in BS-byte writes and
 * fails on any short count; the main thread reads BYTES bytes and checks
 * them against the pattern seeded RXSEED (the peer's TXSEED).  Prints
 * "duplex OK" or what went wrong; exit status 0 only on success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fd;
static long long total, bs;
static uint64_t txseed, rxseed;
static const char *tx_error;

static uint8_t pattern(uint64_t seed, long long off)
{
	uint64_t z = seed + (uint64_t)(off / 8) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint8_t)(z >> ((off % 8) * 8));
}

static void *writer(void *arg)
{
	uint8_t *b = malloc(bs);
	long long off = 0;

	(void)arg;
	while (off < total) {
		long long n = total - off < bs ? total - off : bs, i;
		ssize_t r;

		for (i = 0; i < n; i++)
			b[i] = pattern(txseed, off + i);
		r = write(fd, b, n);
		if (r != n) {
			tx_error = r < 0 ? strerrorname_np(errno) : "short write";
			break;
		}
		off += n;
	}
	free(b);
	return NULL;
}

int main(int argc, char **argv)
{
	long long off = 0;
	pthread_t t;
	uint8_t *b;

	if (argc != 6 && argc != 8) {
		fprintf(stderr, "usage: stream-duplex DEV BYTES BS TXSEED RXSEED\n");
		return 2;
	}
	total = atoll(argv[2]);
	bs = atoll(argv[3]);
	txseed = strtoull(argv[4], NULL, 0);
	rxseed = strtoull(argv[5], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("open %s\n", strerrorname_np(errno));
		return 1;
	}
	if (argc == 8) {
		struct stat st;
		int i;

		close(open(argv[6], O_CREAT | O_WRONLY, 0644));
		for (i = 0; i < 2000 && stat(argv[7], &st); i++)
			usleep(10000);
	}
	b = malloc(bs);
	pthread_create(&t, NULL, writer, NULL);
	while (off < total) {
		ssize_t r = read(fd, b, bs), i;

		if (r <= 0) {
			printf("read %s at %lld\n", r ? strerrorname_np(errno) : "EOF", off);
			return 1;
		}
		for (i = 0; i < r; i++) {
			if (b[i] != pattern(rxseed, off + i)) {
				printf("data mismatch at %lld\n", off + i);
				return 1;
			}
		}
		off += r;
	}
	pthread_join(t, NULL);
	if (tx_error) {
		printf("write %s\n", tx_error);
		return 1;
	}
	close(fd);
	printf("duplex OK\n");
	return 0;
}
