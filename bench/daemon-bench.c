/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tbstreamd benchmark, under umockdev (run through umockdev-wrapper):
 *  1. latency: udev "add" of a peer to a configured, openable /dev/tbstreamN,
 *     over many plugs (in-process core, timestamps from the observer);
 *  2. footprint: the real tbstreamd binary (fake kernel preloaded), RSS and CPU
 *     while idle with no peers and with 64 peers x 8 streams, and its wake-ups
 *     (context switches) over the idle windows.
 * Prints a small report; timing is never a pass/fail criterion here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "world.h"

#define UUID "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"

static bool ready(World *w, const void *data)
{
	TbsStream *s = world_stream(w, "0-1.0", "backup");
	return s && s->state == TBS_STREAM_READY;
}

static bool gone(World *w, const void *data)
{
	TbsPeer *p = tbs_manager_find_peer(w->m, UUID);
	return !world_stream(w, "0-1.0", "backup") && (!p || !p->connected);
}

static uint64_t t_connected;

static void on_peer(TbsManager *m, TbsPeer *p, TbsChange c, void *userdata)
{
	if (c != TBS_REMOVED && p->connected && !t_connected)
		t_connected = tbs_now(CLOCK_MONOTONIC);
}

static const TbsObserver bench_observer = {.peer = on_peer};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void latency(unsigned plugs)
{
	World w;
	uint64_t *lat = calloc(plugs, sizeof(uint64_t));
	uint64_t *inner = calloc(plugs, sizeof(uint64_t));

	world_init(&w);
	world_policy(&w,
		     "[Stream backup]\nMode=0660\n[Peer a]\nMatchUUID=" UUID "\nStreams=backup\n");
	world_start(&w);
	tbs_manager_add_observer(w.m, &bench_observer, NULL);
	for (unsigned i = 0; i < plugs; i++) {
		uint64_t t0 = tbs_now(CLOCK_MONOTONIC);
		t_connected = 0;
		/* umockdev sends the "add" uevents as it creates the devices */
		g_autofree char *xd = world_add_peer(&w, "thunderbolt", "0-1", UUID, "laptop");
		int fd;

		if (!world_run_until(&w, ready, NULL, 5000)) {
			fprintf(stderr, "plug %u: stream never became ready\n", i);
			exit(1);
		}
		TbsStream *s = world_stream(&w, "0-1.0", "backup");
		fd = open(s->devnode, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "plug %u: %s not openable: %m\n", i, s->devnode);
			exit(1);
		}
		close(fd);
		lat[i] = s->ready_usec - t0;
		inner[i] = s->ready_usec - t_connected;
		world_remove_peer(&w, xd);
		if (!world_run_until(&w, gone, NULL, 5000)) {
			fprintf(stderr, "plug %u: stream never went away\n", i);
			exit(1);
		}
	}
	qsort(lat, plugs, sizeof(uint64_t), cmp_u64);
	printf("latency: udev add -> configured, openable /dev/tbstreamN over %u plugs\n", plugs);
	printf("  median %.2f ms, p99 %.2f ms, min %.2f ms, max %.2f ms\n", lat[plugs / 2] / 1000.0,
	       lat[(plugs * 99) / 100] / 1000.0, lat[0] / 1000.0, lat[plugs - 1] / 1000.0);
	qsort(inner, plugs, sizeof(uint64_t), cmp_u64);
	printf("  in the daemon (XDomain event handled -> ready): median %.2f ms, p99 %.2f ms\n",
	       inner[plugs / 2] / 1000.0, inner[(plugs * 99) / 100] / 1000.0);
	world_destroy(&w);
	free(lat);
	free(inner);
}

typedef struct Sample {
	unsigned long rss_kib, pss_kib, anon_kib, preload_kib;
	unsigned long long cpu_ticks;
	unsigned long ctxt;
} Sample;

static Sample sample(pid_t pid)
{
	Sample s = {0};
	char path[64], line[512];
	bool preload_map = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long v;
		if (sscanf(line, "VmRSS: %lu", &v) == 1)
			s.rss_kib = v;
		else if (sscanf(line, "RssAnon: %lu", &v) == 1)
			s.anon_kib = v;
		else if (sscanf(line, "voluntary_ctxt_switches: %lu", &v) == 1)
			s.ctxt += v;
		else if (sscanf(line, "nonvoluntary_ctxt_switches: %lu", &v) == 1)
			s.ctxt += v;
	}
	if (f)
		fclose(f);
	/* what the test harness preloads (umockdev, the fake kernel) is not the daemon's */
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long v;
		if (strchr(line, '-') && strchr(line, ':') && line[0] != ' ' &&
		    !g_ascii_isupper(line[0]))
			preload_map = strstr(line, "umockdev") || strstr(line, "fakekernel");
		else if (sscanf(line, "Rss: %lu", &v) == 1 && preload_map)
			s.preload_kib += v;
		else if (sscanf(line, "Pss: %lu", &v) == 1)
			s.pss_kib += v;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f) {
		unsigned long long ut = 0, st = 0;
		/* fields 14 and 15, after the parenthesised comm */
		if (fgets(line, sizeof(line), f)) {
			char *p = strrchr(line, ')');
			if (p &&
			    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				   &ut, &st) == 2)
				s.cpu_ticks = ut + st;
		}
		fclose(f);
	}
	return s;
}

static unsigned count_nodes(const char *dev, mode_t mode)
{
	GDir *d = g_dir_open(dev, 0, NULL);
	const char *n;
	unsigned c = 0;

	while (d && (n = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dev, n, NULL);
		struct stat st;
		if (g_str_has_prefix(n, "tbstream") && stat(p, &st) == 0 &&
		    (st.st_mode & 07777) == mode)
			c++;
	}
	if (d)
		g_dir_close(d);
	return c;
}

/* Prints the window's figures; returns the RSS without the test preloads. */
static unsigned long idle_window(pid_t pid, const char *what, unsigned seconds,
				 unsigned long floor_kib)
{
	Sample a = sample(pid), b;
	long hz = sysconf(_SC_CLK_TCK);

	sleep(seconds);
	b = sample(pid);
	printf("  %s\n    RSS %lu KiB (%lu KiB without the test preloads; anon %lu KiB, PSS %lu "
	       "KiB)\n"
	       "    CPU %.1f ms and %lu wake-ups (context switches) over %us idle\n",
	       what, b.rss_kib, b.rss_kib - b.preload_kib, b.anon_kib, b.pss_kib,
	       (b.cpu_ticks - a.cpu_ticks) * 1000.0 / hz, b.ctxt - a.ctxt, seconds);
	if (floor_kib)
		printf("    %+ld KiB RSS above the floor program\n",
		       (long)(b.rss_kib - b.preload_kib) - (long)floor_kib);
	return b.rss_kib - b.preload_kib;
}

/* preload NULL: none at all, not even umockdev's */
static pid_t spawn_with_preload(const char *preload, World *w, const char *const *argv)
{
	const char *old_preload = getenv("LD_PRELOAD");
	g_autofree char *new_preload =
		g_strdup_printf("%s%s%s", preload ? preload : "", old_preload ? " " : "",
				old_preload ? old_preload : "");
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (preload)
			setenv("LD_PRELOAD", new_preload, 1);
		else
			unsetenv("LD_PRELOAD");
		setenv("TBS_FAKE_CONFIGFS", w->cfs, 1);
		setenv("TBS_FAKE_DEV", w->dev, 1);
		setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/*
 * The same libraries doing nothing: what no daemon built on them can go
 * below, measured now rather than quoted.  Bare, and under the preloads the
 * daemon runs with (umockdev's links GLib itself, so there even the floor
 * without GLib maps it).  Returns the latter, comparable to the daemon.
 */
static unsigned long floor_footprint(const char *floor, const char *what, const char *preload,
				     World *w, unsigned idle_s)
{
	const char *argv[] = {floor, NULL};
	unsigned long kib = 0;

	printf("footprint floor: %s (%s, sd-event loop, udev monitor)\n", floor, what);
	for (int with_preloads = 0; with_preloads <= 1; with_preloads++) {
		pid_t pid = spawn_with_preload(with_preloads ? preload : NULL, w, argv);

		sleep(1);
		kib = idle_window(pid,
				  with_preloads ? "idle, under the test preloads:" : "idle, bare:",
				  idle_s, 0);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return kib;
}

static void footprint(const char *daemon, const char *preload, const char *floor,
		      const char *floor_no_glib, unsigned idle_s)
{
	World w;
	GString *conf = g_string_new("[Stream s0]\nMode=0660\n");
	unsigned long floor_kib = 0;
	pid_t pid;

	world_init(&w);
	for (int i = 1; i < 8; i++)
		g_string_append_printf(conf, "[Stream s%d]\nMode=0660\n", i);
	g_string_append(conf, "[Peer all]\nMatchAny=yes\nStreams=s0;s1;s2;s3;s4;s5;s6;s7\n");
	world_policy(&w, conf->str);
	g_string_free(conf, TRUE);

	if (floor_no_glib)
		(void)floor_footprint(floor_no_glib, "libsystemd only", preload, &w, idle_s);
	if (floor)
		floor_kib = floor_footprint(floor, "libsystemd + GLib", preload, &w, idle_s);

	const char *argv[] = {daemon,
			      getenv("TBS_BENCH_DEBUG") ? "--debug" : "--log-target=null",
			      "--configfs-root",
			      w.cfs,
			      "--dev-root",
			      w.dev,
			      "--state-dir",
			      w.state,
			      "--config-dir",
			      w.etc,
			      "--vendor-dir",
			      w.vendor,
			      "--subsystem",
			      "thunderbolt",
			      "--no-bus",
			      NULL};
	pid = spawn_with_preload(preload, &w, argv);
	sleep(1); /* start-up is not idle */
	printf("footprint: %s (fake kernel preloaded)\n", daemon);
	idle_window(pid, "idle, no peers:", idle_s, floor_kib);

	uint64_t t0 = tbs_now(CLOCK_MONOTONIC);
	for (int i = 0; i < 64; i++) {
		g_autofree char *name = g_strdup_printf("0-%x", i + 1);
		g_autofree char *uuid = g_strdup_printf("00000000-0000-0000-0000-%012d", i);
		g_autofree char *host = g_strdup_printf("host%d", i);
		g_autofree char *xd = world_add_peer(&w, "thunderbolt", name, uuid, host);
		/* one plug at a time: umockdev's uevent socket is small and drops on overflow */
		while (count_nodes(w.dev, 0660) < 8u * (i + 1) &&
		       tbs_now(CLOCK_MONOTONIC) - t0 < 60000000ULL)
			usleep(2000);
	}
	while (count_nodes(w.dev, 0660) < 512 && tbs_now(CLOCK_MONOTONIC) - t0 < 60000000ULL)
		usleep(10000);
	printf("  64 peers x 8 streams: %u streams ready after %.0f ms\n", count_nodes(w.dev, 0660),
	       (tbs_now(CLOCK_MONOTONIC) - t0) / 1000.0);
	sleep(1); /* the last plug's write-behind is not idle either */
	idle_window(pid, "idle, 64 peers x 8 streams:", idle_s, floor_kib);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	world_destroy(&w);
}

int main(int argc, char **argv)
{
	const char *daemon = NULL, *preload = NULL, *floor = NULL, *floor_no_glib = NULL;
	unsigned plugs = 500, idle = 5;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc)
			daemon = argv[++i];
		else if (strcmp(argv[i], "--preload") == 0 && i + 1 < argc)
			preload = argv[++i];
		else if (strcmp(argv[i], "--floor") == 0 && i + 1 < argc)
			floor = argv[++i];
		else if (strcmp(argv[i], "--floor-no-glib") == 0 && i + 1 < argc)
			floor_no_glib = argv[++i];
		else if (strcmp(argv[i], "--plugs") == 0 && i + 1 < argc)
			plugs = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc)
			idle = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr,
				"Usage: umockdev-wrapper %s [--plugs N] [--idle SECONDS] "
				"[--daemon PATH --preload FAKEKERNEL.so [--floor PATH] "
				"[--floor-no-glib PATH]]\n",
				argv[0]);
			return 2;
		}
	}
	if (plugs < 2)
		plugs = 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	{
		/* the figures mean little without the machine's load next to them */
		char load[64] = "";
		FILE *f = fopen("/proc/loadavg", "re");
		if (f && fgets(load, sizeof(load), f))
			printf("load average at start: %s", load);
		if (f)
			fclose(f);
	}
	latency(plugs);
	if (daemon && preload)
		footprint(daemon, preload, floor, floor_no_glib, idle);
	return 0;
}
