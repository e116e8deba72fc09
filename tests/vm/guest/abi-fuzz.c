// SPDX-License-Identifier: GPL-2.0
/*
 * abi-fuzz: random but seeded sequences of everything a user can do to
 * tbstream's ABI, from several threads at once, while the simulated cable
 * is plugged, unplugged, slowed and corrupted underneath:
 *
 *   abi-fuzz SEED SECONDS THREADS GROUP_A GROUP_B LINK
 *
 * GROUP_A and GROUP_B are the two hosts' ConfigFS groups for each other,
 * LINK the simulator's cable.  Each thread draws its operations from its own
 * generator (SEED + thread number), so a seed names a workload; the
 * interleaving is the scheduler's, which is the point.  Operations:
 * ConfigFS mkdir/rmdir and attribute reads and writes (valid and invalid
 * values), open/close/read/write/poll/splice of the device nodes, every
 * ioctl with random and hostile arguments, dma-buf attach/send/wait/detach
 * with a udmabuf or vgem buffer where the kernel has one, and the cable's
 * knobs.
 *
 * The kernel is the thing under test: this program only checks that every
 * call returns (a thread still running 60 s after the end is reported as
 * hung, exit status 2) and prints its seed and what it did.  The caller
 * checks the kernel's log, its live-object counters and a clean unload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/tbstream.h>

#include "dmabuf-source.h"
#include "probe-util.h"

#define NAMES 3	 /* per side: few, so operations collide */
#define SLOTS 16 /* open files shared by all threads */
#define MAX_THREADS 16
#define MAX_IO (256 * 1024)

enum op {
	OP_MKDIR,
	OP_RMDIR,
	OP_ATTR_WRITE,
	OP_ATTR_READ,
	OP_OPEN,
	OP_CLOSE,
	OP_READ,
	OP_WRITE,
	OP_POLL,
	OP_SPLICE,
	OP_IOCTL,
	OP_DMABUF,
	OP_KNOB,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"mkdir", "rmdir", "attr-write", "attr-read", "open",   "close", "read",
	"write", "poll",  "splice",	"ioctl",     "dmabuf", "knob",
};

/* how often each is drawn, out of the sum */
static const unsigned int op_weight[OP_COUNT] = {
	6, 4, 10, 6, 10, 6, 10, 10, 4, 4, 8, 6, 4,
};

static const char *groups[2];
static const char *link_dir;
static atomic_bool stopping;
static atomic_ulong done[OP_COUNT], failed[OP_COUNT];

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static int slots[SLOTS];

static int dmabuf_fd = -1; /* one buffer, attached by many files */
static uint64_t dmabuf_size;

static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int below(uint64_t *state, unsigned int n)
{
	return next_random(state) % n;
}

static enum op draw_op(uint64_t *state)
{
	unsigned int sum = 0, i, r;

	for (i = 0; i < OP_COUNT; i++)
		sum += op_weight[i];
	r = below(state, sum);
	for (i = 0; r >= op_weight[i]; i++)
		r -= op_weight[i];
	return i;
}

static void item_path(uint64_t *state, char *buf, size_t len)
{
	snprintf(buf, len, "%s/f%u", groups[below(state, 2)], below(state, NAMES));
}

static int write_string(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int read_string(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int op_attr_write(uint64_t *state)
{
	static const char *const attrs[] = {
		"in_hopid", "out_hopid", "ring_size", "throttling", "state", "index", "rx_bytes",
	};
	static const char *const values[] = {
		"-1",  "0",    "7",    "8",	"9",
		"10",  "11",   "2047", "2048",	"32",
		"64",  "4096", "4097", "1",	"99999999999999999999",
		"abc", "",     " 8 ",  "8\n",	"-2",
		"0x8", "010",  "+9",   "10000",
	};
	char path[256];

	item_path(state, path, sizeof(path));
	strcat(path, "/");
	strcat(path, attrs[below(state, sizeof(attrs) / sizeof(*attrs))]);
	return write_string(path, values[below(state, sizeof(values) / sizeof(*values))]);
}

static int op_attr_read(uint64_t *state)
{
	static const char *const attrs[] = {
		"in_hopid",  "out_hopid", "ring_size",	    "throttling", "state",
		"index",     "rx_bytes",  "tx_bytes",	    "rx_frames",  "tx_frames",
		"rx_errors", "tx_errors", "ring_exhausted",
	};
	char path[256], buf[64];

	item_path(state, path, sizeof(path));
	strcat(path, "/");
	strcat(path, attrs[below(state, sizeof(attrs) / sizeof(*attrs))]);
	return read_string(path, buf, sizeof(buf));
}

static void slot_put(uint64_t *state, int fd)
{
	int i = below(state, SLOTS), old;

	pthread_mutex_lock(&slots_lock);
	old = slots[i];
	slots[i] = fd;
	/* a descriptor is in one slot only: dup'ed copies are what threads
	 * use, so the displaced file can be closed at once */
	pthread_mutex_unlock(&slots_lock);
	if (old >= 0)
		close(old);
}

/* a duplicate of an open stream file, or -1: a slot closed meanwhile cannot
 * make us use a descriptor number that now names something else */
static int slot_get(uint64_t *state)
{
	int fd;

	pthread_mutex_lock(&slots_lock);
	fd = slots[below(state, SLOTS)];
	fd = fd >= 0 ? dup(fd) : -1;
	pthread_mutex_unlock(&slots_lock);
	return fd;
}

static int op_open(uint64_t *state)
{
	static const int modes[] = {O_RDONLY, O_WRONLY, O_RDWR};
	char path[256], index[32];
	int flags, fd;

	item_path(state, path, sizeof(path));
	strcat(path, "/index");
	if (read_string(path, index, sizeof(index)))
		return -1;
	snprintf(path, sizeof(path), "/dev/tbstream%d", atoi(index));
	flags = modes[below(state, 3)] | O_CLOEXEC;
	/* blocking files too, but mostly not: a blocked thread does nothing
	 * until someone unplugs */
	if (below(state, 8))
		flags |= O_NONBLOCK;
	fd = open(path, flags);
	if (fd < 0)
		return -1;
	slot_put(state, fd);
	return 0;
}

static int op_close(uint64_t *state)
{
	int fd, i = below(state, SLOTS);

	pthread_mutex_lock(&slots_lock);
	fd = slots[i];
	slots[i] = -1;
	pthread_mutex_unlock(&slots_lock);
	return fd >= 0 ? close(fd) : -1;
}

static size_t io_size(uint64_t *state)
{
	static const size_t sizes[] = {1, 7, 4095, 4096, 4097, 65536, MAX_IO};

	return sizes[below(state, sizeof(sizes) / sizeof(*sizes))];
}

static int op_io(uint64_t *state, int writing)
{
	static __thread char buf[MAX_IO];
	struct pollfd p;
	int fd = slot_get(state), ret = -1;
	size_t len = io_size(state);

	if (fd < 0)
		return -1;
	p.fd = fd;
	p.events = writing ? POLLOUT : POLLIN;
	/* a blocking call only when poll says it will not wait */
	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK) &&
	    (poll(&p, 1, below(state, 20)) != 1 || !(p.revents & p.events)))
		goto out;
	if (writing) {
		memset(buf, (int)next_random(state), len);
		ret = write(fd, buf, len) < 0 ? -1 : 0;
	} else {
		ret = read(fd, buf, len) < 0 ? -1 : 0;
	}
out:
	close(fd);
	return ret;
}

static int op_poll(uint64_t *state)
{
	struct pollfd p;
	int fd = slot_get(state), ret;

	if (fd < 0)
		return -1;
	p.fd = fd;
	p.events = POLLIN | POLLOUT | POLLPRI;
	ret = poll(&p, 1, below(state, 20));
	close(fd);
	return ret < 0 ? -1 : 0;
}

static int op_splice(uint64_t *state)
{
	int fd = slot_get(state), pipefd[2], ret = -1;
	size_t len = io_size(state);

	if (fd < 0)
		return -1;
	if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC))
		goto out;
	if (below(state, 2)) {
		ret = splice(fd, NULL, pipefd[1], NULL, len, SPLICE_F_NONBLOCK) < 0 ? -1 : 0;
	} else {
		static __thread char buf[65536];

		if (write(pipefd[1], buf, sizeof(buf)) > 0)
			ret = splice(pipefd[0], NULL, fd, NULL, len, SPLICE_F_NONBLOCK) < 0 ? -1
											    : 0;
	}
	close(pipefd[0]);
	close(pipefd[1]);
out:
	close(fd);
	return ret;
}

static int op_ioctl(uint64_t *state)
{
	static const unsigned long cmds[] = {
		TBSTREAM_IOC_INFO,
		TBSTREAM_IOC_DMABUF_ATTACH,
		TBSTREAM_IOC_DMABUF_QUERY,
		TBSTREAM_IOC_DMABUF_SEND,
		TBSTREAM_IOC_DMABUF_WAIT,
		TBSTREAM_IOC_DMABUF_DETACH,
		_IOWR(TBSTREAM_IOC_MAGIC, 0x06, struct tbstream_info),
		_IOR(TBSTREAM_IOC_MAGIC, 0x00, struct tbstream_info),
		_IO(TBSTREAM_IOC_MAGIC, 0x01),
		0x5401 /* TCGETS */,
	};
	uint64_t arg[8];
	void *argp = arg;
	int fd = slot_get(state), ret, i;

	if (fd < 0)
		return -1;
	for (i = 0; i < 8; i++)
		arg[i] = below(state, 4) ? next_random(state) : below(state, 8);
	/* the wait must stay short: its timeout is the third 32-bit word */
	((uint32_t *)arg)[2] %= 20;
	switch (below(state, 16)) {
	case 0:
		argp = NULL;
		break;
	case 1:
		argp = (void *)1;
		break;
	}
	ret = ioctl(fd, cmds[below(state, sizeof(cmds) / sizeof(*cmds))], argp);
	close(fd);
	return ret < 0 ? -1 : 0;
}

/* a real attachment, then sends, waits and detaches with plausible and
 * implausible ranges and handles */
static int op_dmabuf(uint64_t *state)
{
	struct tbstream_dmabuf_attach at = {0};
	struct tbstream_dmabuf_send send = {0};
	struct tbstream_dmabuf_wait wait = {0};
	struct tbstream_dmabuf_detach det = {0};
	int fd = slot_get(state), ret = -1;

	if (fd < 0)
		return -1;
	at.fd = below(state, 8) ? dmabuf_fd : (int)below(state, 64);
	at.flags = below(state, 4) ? 0 : (uint32_t)next_random(state);
	at.path = below(state, 5);
	if (ioctl(fd, TBSTREAM_IOC_DMABUF_ATTACH, &at))
		goto out;
	send.handle = below(state, 8) ? at.handle : below(state, 4);
	send.offset = below(state, 4) ? 0 : next_random(state) % (2 * dmabuf_size + 1);
	send.length = below(state, 4) ? dmabuf_size : next_random(state) % (2 * dmabuf_size + 1);
	ret = ioctl(fd, TBSTREAM_IOC_DMABUF_SEND, &send) ? -1 : 0;
	wait.seq = send.seq;
	wait.timeout_ms = below(state, 20);
	ioctl(fd, TBSTREAM_IOC_DMABUF_WAIT, &wait);
	/* left attached sometimes: close must release it */
	if (below(state, 4)) {
		det.handle = at.handle;
		ioctl(fd, TBSTREAM_IOC_DMABUF_DETACH, &det);
	}
out:
	close(fd);
	return ret;
}

static int op_knob(uint64_t *state)
{
	static const char *const knobs[] = {
		"connected",	  "connected",	    "connected",     "unplug_after",
		"drop_on_unplug", "path_delay_ms",  "a/crc_next",    "b/crc_next",
		"a/overrun_next", "b/overrun_next", "a/rx_delay_us", "b/rx_delay_us",
	};
	unsigned int k = below(state, sizeof(knobs) / sizeof(*knobs));
	char path[256], value[32];

	snprintf(path, sizeof(path), "%s/%s", link_dir, knobs[k]);
	if (k < 3) /* plugged most of the time, or nothing moves */
		snprintf(value, sizeof(value), "%u", below(state, 5) != 0);
	else if (strstr(knobs[k], "delay"))
		snprintf(value, sizeof(value), "%u", below(state, 4) ? 0 : below(state, 20));
	else
		snprintf(value, sizeof(value), "%u", below(state, 3) ? 0 : below(state, 200));
	return write_string(path, value);
}

/*
 * Mostly a stream that can work: b's with automatic HopIDs, a's by name only
 * (from b's announcement); otherwise unconfigured, left to attr-write.
 */
static int op_mkdir(uint64_t *state)
{
	unsigned int side = below(state, 2), name = below(state, NAMES);
	char path[256], attr[300];

	snprintf(path, sizeof(path), "%s/f%u", groups[side], name);
	if (mkdir(path, 0755))
		return -1;
	if (side == 1 && below(state, 4)) {
		snprintf(attr, sizeof(attr), "%s/in_hopid", path);
		write_string(attr, "-1");
		snprintf(attr, sizeof(attr), "%s/out_hopid", path);
		write_string(attr, "-1");
	}
	return 0;
}

static int run_op(enum op op, uint64_t *state)
{
	char path[256];

	switch (op) {
	case OP_MKDIR:
		return op_mkdir(state);
	case OP_RMDIR:
		item_path(state, path, sizeof(path));
		return rmdir(path);
	case OP_ATTR_WRITE:
		return op_attr_write(state);
	case OP_ATTR_READ:
		return op_attr_read(state);
	case OP_OPEN:
		return op_open(state);
	case OP_CLOSE:
		return op_close(state);
	case OP_READ:
		return op_io(state, 0);
	case OP_WRITE:
		return op_io(state, 1);
	case OP_POLL:
		return op_poll(state);
	case OP_SPLICE:
		return op_splice(state);
	case OP_IOCTL:
		return op_ioctl(state);
	case OP_DMABUF:
		return dmabuf_fd >= 0 ? op_dmabuf(state) : -1;
	case OP_KNOB:
		return op_knob(state);
	default:
		return -1;
	}
}

struct worker {
	pthread_t thread;
	pid_t tid;
	uint64_t state;
	_Atomic enum op current;
	atomic_bool finished;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	w->tid = gettid();
	while (!stopping) {
		enum op op = draw_op(&w->state);

		w->current = op;
		if (run_op(op, &w->state))
			failed[op]++;
		done[op]++;
	}
	w->finished = true;
	return NULL;
}

static void open_dmabuf(void)
{
	struct dmabuf_buf b;
	int drm = dmabuf_vgem_open();

	dmabuf_size = 1 << 20;
	if ((drm >= 0 && !dmabuf_vgem_new(drm, dmabuf_size, &b)) ||
	    !dmabuf_udmabuf_new(dmabuf_size, &b))
		dmabuf_fd = b.fd;
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	unsigned long total = 0, seed;
	int seconds, threads, i, hung = 0;
	char path[256];

	if (argc != 7) {
		fprintf(stderr, "usage: abi-fuzz SEED SECONDS THREADS GROUP_A GROUP_B LINK\n");
		return 1;
	}
	seed = strtoul(argv[1], NULL, 10);
	seconds = atoi(argv[2]);
	threads = atoi(argv[3]);
	if (threads < 1 || threads > MAX_THREADS || seconds < 1) {
		fprintf(stderr, "abi-fuzz: 1..%d threads, at least 1 second\n", MAX_THREADS);
		return 1;
	}
	groups[0] = argv[4];
	groups[1] = argv[5];
	link_dir = argv[6];
	for (i = 0; i < SLOTS; i++)
		slots[i] = -1;
	open_dmabuf();
	printf("abi-fuzz: seed %lu, %d threads, %d s, dma-buf %s\n", seed, threads, seconds,
	       dmabuf_fd >= 0 ? "yes" : "no");
	fflush(stdout);

	for (i = 0; i < threads; i++) {
		workers[i].state = seed * 1000003u + i;
		pthread_create(&workers[i].thread, NULL, work, &workers[i]);
	}
	sleep(seconds);
	stopping = true;
	/*
	 * An unplug must end every call that waits on the cable, and rmdir
	 * every open that waits for one (a blocking open of an unplugged
	 * stream waits for a peer, as a FIFO's waits for a writer).  Again
	 * and again: an operation in flight may re-plug or mkdir.
	 */
	for (int t = 0; t < 600; t++) {
		int running = 0;

		snprintf(path, sizeof(path), "%s/connected", link_dir);
		write_string(path, "0");
		for (int side = 0; side < 2; side++) {
			for (int n = 0; n < NAMES; n++) {
				snprintf(path, sizeof(path), "%s/f%d", groups[side], n);
				rmdir(path);
			}
		}
		for (i = 0; i < threads; i++)
			running += !workers[i].finished;
		if (!running)
			break;
		msleep(100);
	}
	for (i = 0; i < threads; i++) {
		if (workers[i].finished) {
			pthread_join(workers[i].thread, NULL);
			continue;
		}
		hung++;
		printf("abi-fuzz: thread %d (tid %d) hung in %s; its kernel stack:\n", i,
		       workers[i].tid, op_names[workers[i].current]);
		fflush(stdout);
		/* the shell's /proc/self would be the shell: name our pid */
		snprintf(path, sizeof(path), "cat /proc/%d/task/%d/stack", getpid(),
			 workers[i].tid);
		if (system(path))
			printf("  (no stack)\n");
	}
	for (i = 0; i < OP_COUNT; i++) {
		printf("  %-10s %8lu (%lu failed)\n", op_names[i], (unsigned long)done[i],
		       (unsigned long)failed[i]);
		total += done[i];
	}
	printf("abi-fuzz: seed %lu: %lu operations, %d threads hung\n", seed, total, hung);
	if (hung)
		return 2;
	for (i = 0; i < SLOTS; i++)
		if (slots[i] >= 0)
			close(slots[i]);
	if (dmabuf_fd >= 0)
		close(dmabuf_fd);
	return 0;
}
