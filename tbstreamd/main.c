/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "idle.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#ifndef TBSTREAM_VERSION
#define TBSTREAM_VERSION "unknown"
#endif

static void help(void)
{
	printf("Usage: tbstreamd [OPTIONS...]\n"
	       "       tbstreamd --check-policy [DIR...]\n"
	       "       tbstreamd --cat-policy [DIR...]\n\n"
	       "Creates Thunderbolt/USB4 data streams for plugged peers, as the policy says.\n\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Show the version\n"
	       "     --check-policy         Check the policy and exit: errors as file:line,\n"
	       "                            exit status 1 if there is any\n"
	       "     --cat-policy           Show the policy's files in the order they apply\n"
	       "                            and exit\n"
	       "                            (both: DIRs in order of precedence, default the\n"
	       "                            --config-dir, then the --vendor-dir)\n"
	       "  -d --debug                Log everything to stderr (foreground debugging)\n"
	       "     --log-level=LEVEL      err, warning, notice, info (default) or debug\n"
	       "     --log-target=TARGET    auto (default), journal, console (stderr) or null\n"
	       "     --configfs-root=DIR    ConfigFS mount (default /sys/kernel/config)\n"
	       "     --dev-root=DIR         Where tbstreamN device nodes appear (default /dev)\n"
	       "     --state-dir=DIR        Peer store (default $STATE_DIRECTORY or "
	       "/var/lib/tbstreamd)\n"
	       "     --config-dir=DIR       Policy (default /etc/tbstreamd)\n"
	       "     --vendor-dir=DIR       Vendor policy (default " TBSTREAMD_VENDOR_DIR ")\n"
	       "     --subsystem=NAME       udev subsystem to watch; repeat for several\n"
	       "                            (overrides Subsystems=, default thunderbolt)\n"
	       "     --no-bus               Do not offer the D-Bus API (io.github.tbstream1)\n"
	       "     --bus-address=ADDRESS  Bus to use instead of the system bus\n"
	       "     --idle-timeout=SEC     Exit after SEC seconds without peers, clients or\n"
	       "                            work (default 0: never; udev and D-Bus start it "
	       "again)\n"
	       "\nSee tbstreamd(8) and tbstreamd.conf(5).\n");
}

typedef enum Mode {
	MODE_DAEMON,
	MODE_CHECK_POLICY,
	MODE_CAT_POLICY,
} Mode;

typedef struct Args {
	Mode mode;
	char **dirs; /* --check-policy, --cat-policy: the DIR arguments (argv's), or NULL */
	TbsManagerConfig config;
	GPtrArray *subsystems;
	bool no_bus;
	const char *bus_address;
	uint64_t idle_usec;
} Args;

/* Longest --idle-timeout=: a day; longer is "never" (0). */
#define IDLE_TIMEOUT_MAX_SEC 86400

static int parse_argv(int argc, char **argv, Args *a)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_LOG_LEVEL,
		ARG_LOG_TARGET,
		ARG_CONFIGFS_ROOT,
		ARG_DEV_ROOT,
		ARG_STATE_DIR,
		ARG_CONFIG_DIR,
		ARG_VENDOR_DIR,
		ARG_SUBSYSTEM,
		ARG_NO_BUS,
		ARG_BUS_ADDRESS,
		ARG_IDLE_TIMEOUT,
		ARG_CHECK_POLICY,
		ARG_CAT_POLICY,
	};
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, ARG_VERSION},
		{"debug", no_argument, NULL, 'd'},
		{"log-level", required_argument, NULL, ARG_LOG_LEVEL},
		{"log-target", required_argument, NULL, ARG_LOG_TARGET},
		{"configfs-root", required_argument, NULL, ARG_CONFIGFS_ROOT},
		{"dev-root", required_argument, NULL, ARG_DEV_ROOT},
		{"state-dir", required_argument, NULL, ARG_STATE_DIR},
		{"config-dir", required_argument, NULL, ARG_CONFIG_DIR},
		{"vendor-dir", required_argument, NULL, ARG_VENDOR_DIR},
		{"subsystem", required_argument, NULL, ARG_SUBSYSTEM},
		{"no-bus", no_argument, NULL, ARG_NO_BUS},
		{"bus-address", required_argument, NULL, ARG_BUS_ADDRESS},
		{"idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT},
		{"check-policy", no_argument, NULL, ARG_CHECK_POLICY},
		{"cat-policy", no_argument, NULL, ARG_CAT_POLICY},
		{},
	};
	int c, l;

	while ((c = getopt_long(argc, argv, "hd", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("tbstreamd %s\n", TBSTREAM_VERSION);
			return 0;
		case 'd':
			tbs_log_set_max_level(LOG_DEBUG);
			tbs_log_set_target(TBS_LOG_TARGET_STDERR);
			break;
		case ARG_LOG_LEVEL:
			l = tbs_log_parse_level(optarg);
			if (l < 0) {
				fprintf(stderr, "tbstreamd: unknown log level \"%s\"\n", optarg);
				return -EINVAL;
			}
			tbs_log_set_max_level(l);
			break;
		case ARG_LOG_TARGET:
			l = tbs_log_parse_target(optarg);
			if (l < 0) {
				fprintf(stderr, "tbstreamd: unknown log target \"%s\"\n", optarg);
				return -EINVAL;
			}
			tbs_log_set_target(l);
			break;
		case ARG_CONFIGFS_ROOT:
			a->config.configfs_root = optarg;
			break;
		case ARG_DEV_ROOT:
			a->config.dev_root = optarg;
			break;
		case ARG_STATE_DIR:
			a->config.state_dir = optarg;
			break;
		case ARG_CONFIG_DIR:
			a->config.config_dir = optarg;
			break;
		case ARG_VENDOR_DIR:
			a->config.vendor_dir = optarg;
			break;
		case ARG_SUBSYSTEM:
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 64) {
				fprintf(stderr, "tbstreamd: invalid subsystem name \"%s\"\n",
					optarg);
				return -EINVAL;
			}
			g_ptr_array_add(a->subsystems, g_strdup(optarg));
			break;
		case ARG_NO_BUS:
			a->no_bus = true;
			break;
		case ARG_BUS_ADDRESS:
			a->bus_address = optarg;
			break;
		case ARG_IDLE_TIMEOUT:
			if (tbs_parse_seconds(optarg, IDLE_TIMEOUT_MAX_SEC, &a->idle_usec) < 0) {
				fprintf(stderr,
					"tbstreamd: invalid idle timeout \"%s\": seconds, 0 to %d, "
					"e.g. 60 or 0.5\n",
					optarg, IDLE_TIMEOUT_MAX_SEC);
				return -EINVAL;
			}
			break;
		case ARG_CHECK_POLICY:
		case ARG_CAT_POLICY:
			if (a->mode != MODE_DAEMON) {
				fprintf(stderr, "tbstreamd: --check-policy and --cat-policy do not "
						"go together\n");
				return -EINVAL;
			}
			a->mode = c == ARG_CHECK_POLICY ? MODE_CHECK_POLICY : MODE_CAT_POLICY;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		if (a->mode == MODE_DAEMON) {
			fprintf(stderr,
				"tbstreamd: unexpected argument \"%s\" (only "
				"--check-policy and --cat-policy take DIRs)\n",
				argv[optind]);
			return -EINVAL;
		}
		a->dirs = argv + optind;
	}
	return 1;
}

/* userdata: non-NULL when the D-Bus API was wanted but the bus is not there */
static void on_status(TbsManager *m, const char *status, void *userdata)
{
	(void)sd_notifyf(false, "STATUS=%s%s", status, userdata ? "; no D-Bus API" : "");
}

static const TbsObserver status_observer = {.status = on_status};

/* systemd waits for READY=1 after RELOADING=1: sent once the new policy is applied */
static void on_sighup_reloaded(TbsManager *m, int r, void *userdata)
{
	(void)sd_notifyf(false, "READY=1\nSTATUS=%s", tbs_manager_status(m));
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	TbsManager *m = userdata;
	char buf[64];

	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)tbs_now(CLOCK_MONOTONIC));
	(void)sd_notify(false, buf);
	log_info("Reloading policy");
	if (tbs_manager_reload(m, on_sighup_reloaded, NULL) < 0)
		on_sighup_reloaded(m, 0, NULL);
	return 0;
}

static void on_name_released(void *userdata)
{
	(void)sd_event_exit(userdata, 0);
}

typedef struct Daemon {
	sd_event *event;
	TbsManager *m;
	TbsBus *bus;
	int bus_error; /* the name could not be owned */
} Daemon;

/* Ready once the name is ours: clients activated through the bus wait for it. */
static void on_bus_started(TbsBus *b, int error, void *userdata)
{
	Daemon *d = userdata;

	if (error < 0) {
		(void)sd_notifyf(false, "STATUS=Cannot own the bus name: %s\nERRNO=%d",
				 strerror(-error), -error);
		log_error("Exiting: without its bus name the D-Bus API would not be reachable");
		d->bus_error = error;
		(void)sd_event_exit(d->event, 0);
		return;
	}
	(void)sd_notifyf(false, "READY=1\nSTATUS=%s", tbs_manager_status(d->m));
}

static void on_idle(TbsIdle *idle, void *userdata)
{
	Daemon *d = userdata;

	log_info(
		"No peer, no client, nothing to do: exiting (udev or D-Bus start tbstreamd again)");
	(void)sd_notify(false, "STOPPING=1\nSTATUS=Idle, exiting");
	/* a caller that comes now activates a new instance instead of talking to this one */
	if (d->bus && tbs_bus_release_name(d->bus, on_name_released, d->event) >= 0)
		return;
	(void)sd_event_exit(d->event, 0);
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/*
 * --check-policy, --cat-policy: the policy as the daemon would read it, without
 * a bus, udev or ConfigFS (like sshd -t). Exit status 0 or 1.
 */
static int run_policy_tool(const Args *a)
{
	g_autofree char *config_dir = NULL, *vendor_dir = NULL;
	const char *defaults[3] = {};
	const char *const *dirs = (const char *const *)a->dirs;

	if (!dirs) {
		tbs_manager_policy_dirs(&a->config, &config_dir, &vendor_dir);
		defaults[0] = config_dir;
		defaults[1] = vendor_dir;
		dirs = defaults;
	}
	/* the loader's own messages (debug) would interleave with the report */
	tbs_log_set_target(TBS_LOG_TARGET_NULL);
	if (a->mode == MODE_CHECK_POLICY)
		return tbs_policy_check(dirs, a->dirs != NULL, stdout, stderr);
	return tbs_policy_cat(dirs, a->dirs != NULL, stdout, stderr);
}

int main(int argc, char **argv)
{
	Args a = {.subsystems = g_ptr_array_new_with_free_func(g_free)};
	sd_event *event = NULL;
	TbsManager *m = NULL;
	TbsBus *bus = NULL;
	TbsIdle *idle = NULL;
	Daemon d = {};
	bool bus_missing = false;
	sigset_t mask;
	int r;

	r = parse_argv(argc, argv, &a);
	if (r <= 0)
		goto out;
	if (a.mode != MODE_DAEMON) {
		r = run_policy_tool(&a);
		g_ptr_array_unref(a.subsystems);
		return r;
	}
	if (a.subsystems->len > 0) {
		g_ptr_array_add(a.subsystems, NULL);
		a.config.subsystems = (char **)a.subsystems->pdata;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&event);
	if (r < 0) {
		log_error_errno(r, "Cannot create event loop: %m");
		goto out;
	}
	if ((r = sd_event_add_signal(event, NULL, SIGTERM, on_exit_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(event, NULL, SIGINT, on_exit_signal, NULL)) < 0) {
		log_error_errno(r, "Cannot watch signals: %m");
		goto out;
	}
	/* only pings when systemd asked for a watchdog; no wake-ups otherwise */
	r = sd_event_set_watchdog(event, true);
	if (r < 0)
		log_warning_errno(r, "Cannot enable the watchdog: %m");

	r = tbs_manager_new(event, &a.config, &m);
	if (r < 0)
		goto out;
	r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, m);
	if (r < 0) {
		log_error_errno(r, "Cannot watch SIGHUP: %m");
		goto out;
	}

	/* objects before the core starts, so they see every peer; the name once all is known */
	if (!a.no_bus) {
		r = tbs_bus_new(event, m, a.bus_address, &bus);
		if (r < 0) {
			/*
			 * A recovery initramfs or an early boot has no bus: the policy's streams
			 * are what matters there, so go on without the API.
			 */
			log_warning_errno(r, "Continuing without the D-Bus API: %m");
			bus_missing = true;
		}
	}
	tbs_manager_add_observer(m, &status_observer, bus_missing ? &bus_missing : NULL);
	log_info("tbstreamd %s starting", TBSTREAM_VERSION);
	r = tbs_manager_start(m);
	if (r < 0) {
		(void)sd_notifyf(false, "STATUS=Failed to start: %s\nERRNO=%d", strerror(-r), -r);
		goto out;
	}
	d.event = event;
	d.m = m;
	d.bus = bus;
	if (bus) {
		r = tbs_bus_start(bus, on_bus_started, &d);
		if (r < 0)
			goto out;
	}
	if (a.idle_usec > 0) {
		r = tbs_idle_new(event, m, bus, a.idle_usec, on_idle, &d, &idle);
		if (r < 0)
			goto out;
	}
	if (!bus)
		(void)sd_notifyf(false, "READY=1\nSTATUS=%s%s", tbs_manager_status(m),
				 bus_missing ? "; no D-Bus API" : "");

	r = sd_event_loop(event);
	if (r < 0)
		log_error_errno(r, "Event loop failed: %m");
	else if (d.bus_error < 0)
		r = d.bus_error;
out:
	tbs_idle_free(idle);
	tbs_bus_free(bus);
	tbs_manager_free(m);
	sd_event_unref(event);
	g_ptr_array_unref(a.subsystems);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
