/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "configfs.h"
#include "log.h"
#include "util.h"

#define CONFIGFS_MAGIC 0x62656570

TbsConfigfsState tbs_configfs_probe(const char *root, bool require_mount)
{
	g_autofree char *stream = g_build_filename(root, "thunderbolt", "stream", NULL);
	struct statfs sfs;
	struct stat st;

	if (statfs(root, &sfs) < 0)
		return TBS_CONFIGFS_NOT_MOUNTED;
	if (require_mount && (unsigned long)sfs.f_type != CONFIGFS_MAGIC)
		return TBS_CONFIGFS_NOT_MOUNTED;
	if (stat(stream, &st) < 0 || !S_ISDIR(st.st_mode))
		return TBS_CONFIGFS_NO_MODULE;
	return TBS_CONFIGFS_READY;
}

const char *tbs_configfs_state_to_string(TbsConfigfsState s)
{
	switch (s) {
	case TBS_CONFIGFS_READY:
		return "ready";
	case TBS_CONFIGFS_NOT_MOUNTED:
		return "ConfigFS is not mounted";
	case TBS_CONFIGFS_NO_MODULE:
		return "no thunderbolt/stream in ConfigFS (stream module not loaded)";
	}
	return "unknown";
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0)
		return 1;
	if (errno == EEXIST) {
		struct stat st;
		if (stat(path, &st) == 0)
			return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
		/*
		 * Nothing there: tbstream before Linux 7.2 refuses a stream name
		 * another peer's group of this host has (one announcement serves
		 * every peer, kernel/README.md).
		 */
		return -EADDRINUSE;
	}
	return -errno;
}

int tbs_configfs_make_group(const char *stream_dir, const char *group)
{
	g_autofree char *path = g_build_filename(stream_dir, group, NULL);

	if (tbs_group_name_parse(group, NULL, NULL, NULL) < 0)
		return -EINVAL;
	return make_dir(path);
}

int tbs_configfs_make_item(const char *stream_dir, const char *group, const char *name)
{
	g_autofree char *path = g_build_filename(stream_dir, group, name, NULL);

	if (!tbs_stream_name_is_valid(name) || tbs_group_name_parse(group, NULL, NULL, NULL) < 0)
		return -EINVAL;
	return make_dir(path);
}

static bool has_index(const char *item_dir)
{
	g_autofree char *p = g_build_filename(item_dir, "index", NULL);
	return access(p, F_OK) == 0;
}

static int write_int(const char *dir, const char *attr, int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", v);
	return tbs_write_attr(dir, attr, buf);
}

int tbs_configfs_configure(const char *item_dir, const TbsStreamTemplate *t)
{
	int r;

	if (!has_index(item_dir))
		return -EAGAIN;
	/* ring settings before HopIDs: setting HopIDs may let the kernel attach right away */
	if (t->ring_size > 0 && (r = write_int(item_dir, "ring_size", t->ring_size)) < 0)
		return r;
	if (t->throttling >= 0 && (r = write_int(item_dir, "throttling", t->throttling)) < 0)
		return r;
	switch (t->hopid_mode) {
	case TBS_HOPIDS_PEER:
		/* both unset: the kernel takes them from the peer's announcement */
		break;
	case TBS_HOPIDS_AUTO:
	case TBS_HOPIDS_FIXED:
		if ((r = write_int(item_dir, "in_hopid", t->in_hopid)) < 0)
			return r;
		if ((r = write_int(item_dir, "out_hopid", t->out_hopid)) < 0)
			return r;
		break;
	}
	return 0;
}

static int read_int(const char *dir, const char *attr, long min, long max, int *ret)
{
	char buf[32];
	long v;
	int r;

	r = tbs_read_attr(dir, attr, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = tbs_parse_long(buf, min, max, &v);
	if (r < 0)
		return r;
	*ret = (int)v;
	return 0;
}

int tbs_configfs_read(const char *item_dir, TbsItemInfo *ret)
{
	TbsItemInfo info = {.in_hopid = -1, .out_hopid = -1, .ring_size = -1, .throttling = -1};
	char buf[64];
	int r;

	r = read_int(item_dir, "index", 0, 1 << 20, &info.index);
	if (r == -ENOENT)
		return -EAGAIN;
	if (r < 0)
		return r;
	/* everything else is informative: missing or odd values do not fail the stream */
	(void)read_int(item_dir, "in_hopid", -1, 65535, &info.in_hopid);
	(void)read_int(item_dir, "out_hopid", -1, 65535, &info.out_hopid);
	(void)read_int(item_dir, "ring_size", 0, 1 << 20, &info.ring_size);
	(void)read_int(item_dir, "throttling", 0, 1 << 30, &info.throttling);
	if (tbs_read_attr(item_dir, "state", buf, sizeof(buf)) > 0) {
		_cleanup_free_ char *s =
			tbs_sanitize_string(buf, strlen(buf), sizeof(info.state) - 1);
		if (s)
			g_strlcpy(info.state, s, sizeof(info.state));
	}
	*ret = info;
	return 0;
}

int tbs_configfs_remove_group(const char *stream_dir, const char *group)
{
	g_autofree char *path = g_build_filename(stream_dir, group, NULL);

	if (tbs_group_name_parse(group, NULL, NULL, NULL) < 0)
		return -EINVAL;
	if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		return -errno;
	return 0;
}

int tbs_configfs_scan(const char *stream_dir, TbsConfigfsScanFunc func, void *userdata)
{
	DIR *dh = opendir(stream_dir);
	struct dirent *de;

	if (!dh)
		return -errno;
	while ((de = readdir(dh))) {
		g_autofree char *gpath = NULL;
		struct dirent *ie;
		DIR *gh;

		if (tbs_group_name_parse(de->d_name, NULL, NULL, NULL) < 0)
			continue;
		gpath = g_build_filename(stream_dir, de->d_name, NULL);
		gh = opendir(gpath);
		if (!gh)
			continue;
		func(de->d_name, NULL, userdata);
		while ((ie = readdir(gh)))
			if (ie->d_type != DT_DIR && ie->d_type != DT_UNKNOWN)
				continue;
			else if (tbs_stream_name_is_valid(ie->d_name))
				func(de->d_name, ie->d_name, userdata);
			else if (ie->d_name[0] != '.')
				log_debug("Ignoring ConfigFS entry %s/%s: not a stream name we use",
					  de->d_name, ie->d_name);
		closedir(gh);
	}
	closedir(dh);
	return 0;
}
