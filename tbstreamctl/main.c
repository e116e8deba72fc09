/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tbstreamctl: the command line, and which verb runs. See tbstreamctl(1). */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#ifndef TBSTREAM_VERSION
#define TBSTREAM_VERSION "unknown"
#endif

/* Options that belong to one verb; anywhere else they are a usage error. */
enum {
	OPT_REQUEST = 1 << 0,
	OPT_OPEN = 1 << 1,
	OPT_MONITOR = 1 << 2,
	OPT_LIST = 1 << 3,
	OPT_ENROLL = 1 << 4,
	OPT_PERSISTENT = 1 << 5, /* request and enroll */
};

typedef struct Verb {
	const char *name;
	int min_args, max_args; /* after the verb; -1: no limit */
	unsigned options;
	int (*run)(Ctl *c, int argc, char **argv);
} Verb;

static const Verb verbs[] = {
	{"list", 0, 0, OPT_LIST, verb_list},
	{"status", 0, 0, 0, verb_status},
	{"info", 1, 1, 0, verb_info},
	{"request", 2, 2, OPT_REQUEST | OPT_PERSISTENT, verb_request},
	{"remove", 1, 1, 0, verb_remove},
	{"open", 2, -1, OPT_OPEN, verb_open},
	{"monitor", 0, 0, OPT_MONITOR, verb_monitor},
	{"trust", 2, 2, 0, verb_trust},
	{"label", 2, 2, 0, verb_label},
	{"reload", 0, 0, 0, verb_reload},
	{"enroll", 1, 1, OPT_ENROLL | OPT_PERSISTENT, verb_enroll},
	{"revoke", 1, 1, 0, verb_revoke},
	{"forget", 1, 1, 0, verb_forget},
	{"controllers", 0, 0, 0, verb_controllers},
	{"check-policy", 0, -1, 0, verb_check_policy},
	{"cat-policy", 0, -1, 0, verb_cat_policy},
	{"help", 0, 0, 0, verb_help},
};

static void help(void);

int verb_help(Ctl *c, int argc, char **argv)
{
	help();
	return CTL_EXIT_OK;
}

static void help(void)
{
	printf("Usage: tbstreamctl [OPTIONS...] [COMMAND] ...\n\n"
	       "Show and manage Thunderbolt/USB4 peers and streams through tbstreamd.\n\n"
	       "Commands:\n"
	       "  list                      Peers and their streams (the default)\n"
	       "  status                    The daemon, its policy (with errors), controllers\n"
	       "                            and how many peers and streams there are\n"
	       "  info PEER|STREAM          Everything about one peer or stream\n"
	       "  request PEER NAME         Create stream NAME to PEER\n"
	       "  remove STREAM             Remove a stream\n"
	       "  open STREAM -- COMMAND... Run COMMAND on the stream (--read, --write)\n"
	       "  monitor                   Watch events and throughput until Ctrl+C\n"
	       "  trust PEER yes|no         Trust a peer or stop trusting it\n"
	       "  label PEER TEXT           Name a peer (\"\" clears the label)\n"
	       "  reload                    Re-read the daemon's policy\n"
	       "  enroll PEER               Allow PEER (--stream, --persistent)\n"
	       "  revoke PEER               End PEER's enrollment, keep its record\n"
	       "  forget PEER               Forget PEER and its enrollment\n"
	       "  controllers               The USB4/Thunderbolt controllers\n"
	       "  check-policy [DIR...]     Check the policy files without the daemon:\n"
	       "                            errors as file:line, exit status 1 if any\n"
	       "  cat-policy [DIR...]       The policy's files in the order they apply\n"
	       "  help                      Show this help\n\n"
	       "Options:\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Show the version\n"
	       "     --json=MODE            JSON output: short, pretty or off (default)\n"
	       "  -j                        --json=pretty on a terminal, else --json=short\n"
	       "     --no-legend            No headers, footers or \"none\" lines\n"
	       "     --no-pager             Accepted for systemd habits (output is never paged)\n"
	       "     --no-ask-password      Do not ask for a password to authorize\n"
	       "     --show-uuid            Show peers' UUIDs in full\n"
	       "  -q --quiet                list: identifiers only, one per line\n"
	       "  request:\n"
	       "     --in-hopid=N --out-hopid=N  HopIDs (both; default: the kernel picks)\n"
	       "     --ring-size=N          Ring size in frames (32..4096)\n"
	       "     --throttling=NS        Interrupt throttling in nanoseconds\n"
	       "     --on-unplug=remove|keep  What happens to the stream on unplug\n"
	       "     --persistent           Keep the stream after tbstreamctl exits\n"
	       "  enroll:\n"
	       "     --stream=NAME          Make stream NAME on every plug (repeatable)\n"
	       "     --persistent           Keep those streams when the peer is unplugged\n"
	       "     --owner=USER --group=GROUP  Owner and group of their device nodes\n"
	       "     --mode=MODE            Their permission bits, octal (e.g. 0660)\n"
	       "  open:\n"
	       "     --read                 The stream is COMMAND's standard input\n"
	       "     --write                The stream is COMMAND's standard output\n"
	       "  monitor:\n"
	       "     --interval=SECONDS     How often to read counters if the daemon cannot\n"
	       "                            be watched (default 1)\n"
	       "\nPEER is an Id, a UUID or its first 8+ characters, a label or a name;\n"
	       "STREAM is NAME, PEER/NAME, GROUP/NAME or an object path.\n"
	       "See tbstreamctl(1).\n");
}

/* A decimal in [min, max]; anything else (signs, spaces, suffixes, overflow) is -1. */
static int64_t parse_number(const char *opt, const char *s, int64_t min, int64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < (unsigned long long)min || v > (unsigned long long)max)
		goto bad;
	return (int64_t)v;
bad:
	fprintf(stderr,
		"tbstreamctl: --%s wants a number from %" PRId64 " to %" PRId64 ", not '%s'\n", opt,
		min, max, s);
	return -1;
}

/*
 * --owner and --group: a name or a number. The name is looked up here, in the
 * client: the daemon takes numbers only so that it never waits on NSS.
 */
static int64_t parse_id(const char *opt, const char *s)
{
	if (*s >= '0' && *s <= '9')
		return parse_number(opt, s, 0, UINT32_MAX - 1);
	if (strcmp(opt, "owner") == 0) {
		const struct passwd *pw = getpwnam(s);
		if (pw)
			return pw->pw_uid;
	} else {
		const struct group *gr = getgrnam(s);
		if (gr)
			return gr->gr_gid;
	}
	fprintf(stderr, "tbstreamctl: --%s: no %s '%s'\n", opt,
		strcmp(opt, "owner") == 0 ? "user" : "group", s);
	return -1;
}

/* --mode: octal permission bits as chmod takes them, 0..0777 (no set-id or sticky bits). */
static int64_t parse_mode(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s < '0' || *s > '7')
		goto bad;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		goto bad;
	return (int64_t)v;
bad:
	fprintf(stderr,
		"tbstreamctl: --mode wants octal permission bits from 0 to 0777, not '%s'\n", s);
	return -1;
}

/* Seconds as a positive decimal, at least 10 ms; 0 on error. */
static uint64_t parse_interval(const char *s)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || end == s || !(d >= 0.01 && d <= 3600)) {
		fprintf(stderr,
			"tbstreamctl: --interval wants seconds from 0.01 to 3600, not '%s'\n", s);
		return 0;
	}
	return (uint64_t)(d * 1e6);
}

/*
 * Parses options anywhere before "--"; what follows "--" is kept as arguments
 * (for open, COMMAND and its own options). Returns -1 to go on, else an exit code.
 */
static int parse_argv(int argc, char **argv, Ctl *c, unsigned *used, char ***args, int *n_args,
		      int *n_before_dashdash)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_JSON,
		ARG_NO_ASK_PASSWORD,
		ARG_SHOW_UUID,
		ARG_IN_HOPID,
		ARG_OUT_HOPID,
		ARG_RING_SIZE,
		ARG_THROTTLING,
		ARG_ON_UNPLUG,
		ARG_PERSISTENT,
		ARG_STREAM,
		ARG_OWNER,
		ARG_GROUP,
		ARG_MODE,
		ARG_READ,
		ARG_WRITE,
		ARG_INTERVAL,
		ARG_NO_LEGEND,
		ARG_NO_PAGER,
	};
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, ARG_VERSION},
		{"json", required_argument, NULL, ARG_JSON},
		{"no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD},
		{"show-uuid", no_argument, NULL, ARG_SHOW_UUID},
		{"quiet", no_argument, NULL, 'q'},
		{"in-hopid", required_argument, NULL, ARG_IN_HOPID},
		{"out-hopid", required_argument, NULL, ARG_OUT_HOPID},
		{"ring-size", required_argument, NULL, ARG_RING_SIZE},
		{"throttling", required_argument, NULL, ARG_THROTTLING},
		{"on-unplug", required_argument, NULL, ARG_ON_UNPLUG},
		{"persistent", no_argument, NULL, ARG_PERSISTENT},
		{"stream", required_argument, NULL, ARG_STREAM},
		{"owner", required_argument, NULL, ARG_OWNER},
		{"group", required_argument, NULL, ARG_GROUP},
		{"mode", required_argument, NULL, ARG_MODE},
		{"read", no_argument, NULL, ARG_READ},
		{"write", no_argument, NULL, ARG_WRITE},
		{"interval", required_argument, NULL, ARG_INTERVAL},
		{"no-legend", no_argument, NULL, ARG_NO_LEGEND},
		{"no-pager", no_argument, NULL, ARG_NO_PAGER},
		{},
	};
	int dashdash = argc, opt, n = 0;
	char **a;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	opterr = 1;
	while ((opt = getopt_long(dashdash, argv, "hjq", options, NULL)) >= 0) {
		switch (opt) {
		case 'h':
			help();
			return CTL_EXIT_OK;
		case ARG_VERSION:
			printf("tbstreamctl %s\n", TBSTREAM_VERSION);
			return CTL_EXIT_OK;
		case ARG_JSON:
			if (strcmp(optarg, "short") == 0)
				c->json = JSON_SHORT;
			else if (strcmp(optarg, "pretty") == 0)
				c->json = JSON_PRETTY;
			else if (strcmp(optarg, "off") == 0)
				c->json = JSON_OFF;
			else {
				fprintf(stderr,
					"tbstreamctl: --json wants short, pretty or off, not "
					"'%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'j':
			/* as systemd's tools: pretty for people, one line per document for pipes */
			c->json = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
			break;
		case ARG_NO_LEGEND:
			c->legend = false;
			break;
		case ARG_NO_PAGER:
			/* nothing is paged; accepted so that systemd habits and scripts work */
			break;
		case ARG_NO_ASK_PASSWORD:
			c->ask_password = false;
			break;
		case ARG_SHOW_UUID:
			c->show_uuid = true;
			break;
		case 'q':
			c->quiet = true;
			*used |= OPT_LIST;
			break;
		case ARG_IN_HOPID:
		case ARG_OUT_HOPID: {
			/* the daemon checks the range against the peer; this only keeps it a number
			 */
			int64_t v = parse_number(opt == ARG_IN_HOPID ? "in-hopid" : "out-hopid",
						 optarg, 0, UINT32_MAX);
			if (v < 0)
				return CTL_EXIT_USAGE;
			*(opt == ARG_IN_HOPID ? &c->in_hopid : &c->out_hopid) = v;
			*used |= OPT_REQUEST;
			break;
		}
		case ARG_RING_SIZE:
			c->ring_size = parse_number("ring-size", optarg, 0, UINT32_MAX);
			if (c->ring_size < 0)
				return CTL_EXIT_USAGE;
			*used |= OPT_REQUEST;
			break;
		case ARG_THROTTLING:
			c->throttling = parse_number("throttling", optarg, 0, UINT32_MAX);
			if (c->throttling < 0)
				return CTL_EXIT_USAGE;
			*used |= OPT_REQUEST;
			break;
		case ARG_ON_UNPLUG:
			if (strcmp(optarg, "remove") != 0 && strcmp(optarg, "keep") != 0) {
				fprintf(stderr,
					"tbstreamctl: --on-unplug wants remove or keep, not '%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			c->on_unplug = optarg;
			*used |= OPT_REQUEST;
			break;
		case ARG_PERSISTENT:
			c->persistent = true;
			*used |= OPT_PERSISTENT;
			break;
		case ARG_STREAM: {
			size_t k = 0;
			while (c->streams && c->streams[k])
				k++;
			char **v = realloc(c->streams, (k + 2) * sizeof(*v));
			if (!v)
				return CTL_EXIT_FAILURE;
			v[k] = optarg;
			v[k + 1] = NULL;
			c->streams = v;
			*used |= OPT_ENROLL;
			break;
		}
		case ARG_OWNER:
		case ARG_GROUP: {
			int64_t v = parse_id(opt == ARG_OWNER ? "owner" : "group", optarg);
			if (v < 0)
				return CTL_EXIT_USAGE;
			*(opt == ARG_OWNER ? &c->owner : &c->group) = v;
			*used |= OPT_ENROLL;
			break;
		}
		case ARG_MODE:
			c->mode = parse_mode(optarg);
			if (c->mode < 0)
				return CTL_EXIT_USAGE;
			*used |= OPT_ENROLL;
			break;
		case ARG_READ:
			c->read = true;
			*used |= OPT_OPEN;
			break;
		case ARG_WRITE:
			c->write = true;
			*used |= OPT_OPEN;
			break;
		case ARG_INTERVAL:
			c->interval_usec = parse_interval(optarg);
			if (!c->interval_usec)
				return CTL_EXIT_USAGE;
			*used |= OPT_MONITOR;
			break;
		default:
			/* getopt has said what was wrong */
			return CTL_EXIT_USAGE;
		}
	}
	if ((c->in_hopid >= 0) != (c->out_hopid >= 0)) {
		fprintf(stderr, "tbstreamctl: --in-hopid and --out-hopid go together\n");
		return CTL_EXIT_USAGE;
	}

	/* non-options before "--" (getopt moved them to the end of its range), then the rest */
	a = calloc((size_t)argc + 1, sizeof(*a));
	if (!a)
		return CTL_EXIT_FAILURE;
	for (int i = optind; i < dashdash; i++)
		a[n++] = argv[i];
	*n_before_dashdash = dashdash < argc ? n : -1;
	for (int i = dashdash + 1; i < argc; i++)
		a[n++] = argv[i];
	*args = a;
	*n_args = n;
	return -1;
}

static const Verb *find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static const char *option_verb(unsigned bit)
{
	switch (bit) {
	case OPT_REQUEST:
		return "request";
	case OPT_OPEN:
		return "open";
	case OPT_MONITOR:
		return "monitor";
	case OPT_ENROLL:
		return "enroll";
	case OPT_PERSISTENT:
		return "request' or 'enroll";
	default:
		return "list";
	}
}

static void ctl_free_streams(Ctl *c)
{
	free(c->streams);
}

static int run(int argc, char **argv)
{
	_cleanup_(ctl_free_streams) Ctl c = {
		.json = JSON_OFF,
		.ask_password = true,
		.in_hopid = -1,
		.out_hopid = -1,
		.ring_size = -1,
		.throttling = -1,
		.owner = -1,
		.group = -1,
		.mode = -1,
		.interval_usec = 1000000,
		.legend = true,
	};
	_cleanup_(freep) char **args = NULL;
	static char *const list_argv[] = {(char *)"list", NULL};
	unsigned used = 0;
	const Verb *v;
	int r, n = 0, n_before = -1;

	r = parse_argv(argc, argv, &c, &used, &args, &n, &n_before);
	if (r >= 0)
		return r;
	if (n == 0) {
		/* no verb: list */
		args[0] = list_argv[0];
		n = 1;
	}
	v = find_verb(args[0]);
	if (!v) {
		fprintf(stderr, "tbstreamctl: unknown verb '%s'\n", args[0]);
		return CTL_EXIT_USAGE;
	}
	if (used & ~v->options) {
		unsigned bit = used & ~v->options;
		bit &= -bit;
		fprintf(stderr, "tbstreamctl: that option is for '%s', not '%s'\n",
			option_verb(bit), v->name);
		return CTL_EXIT_USAGE;
	}
	if (n - 1 < v->min_args || (v->max_args >= 0 && n - 1 > v->max_args)) {
		fprintf(stderr, "tbstreamctl: '%s' takes %s%d argument%s (see tbstreamctl help)\n",
			v->name, v->max_args < 0 ? "at least " : "", v->min_args,
			v->min_args == 1 ? "" : "s");
		return CTL_EXIT_USAGE;
	}
	/* open STREAM x -- cmd: is x a typo or part of the command? Refuse to guess. */
	if (v->run == verb_open && n_before > 2) {
		fprintf(stderr, "tbstreamctl: open takes STREAM, then -- COMMAND [ARGS...]\n");
		return CTL_EXIT_USAGE;
	}
	if (v->run == verb_open && !c.read && !c.write) {
		fprintf(stderr, "tbstreamctl: open needs --read, --write or both\n");
		return CTL_EXIT_USAGE;
	}
	r = v->run(&c, n, args);
	ctl_agent_close(&c);
	c.bus = sd_bus_flush_close_unref(c.bus);
	return r;
}

int main(int argc, char **argv)
{
	/* LC_CTYPE only: tree glyphs follow the terminal's charset, numbers stay "1.5" */
	setlocale(LC_CTYPE, "");
	/* getopt prefixes its messages with argv[0]: the name, not the path it was run by */
	if (argc > 0)
		argv[0] = (char *)"tbstreamctl";
	return run(argc, argv);
}
