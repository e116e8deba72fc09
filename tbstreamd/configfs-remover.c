/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <glib.h>

#include "configfs-remover.h"
#include "log.h"
#include "util.h"

typedef struct RemoveJob {
	char *path;
	int r;
	TbsRemoveDone done;
	void *userdata;
} RemoveJob;

struct TbsRemover {
	sd_event_source *wakeup;
	int wakeup_fd;
	unsigned pending; /* loop side: queued and not yet reported */

	GThread *thread; /* started with the first removal */
	GMutex lock;
	GCond cond; /* todo gained a job, done gained a result, or stopping */
	GQueue todo, done;
	bool stopping;
};

static void *remover_thread(void *userdata)
{
	TbsRemover *rm = userdata;
	static const uint64_t one = 1;

	g_mutex_lock(&rm->lock);
	for (;;) {
		RemoveJob *job;

		while (g_queue_is_empty(&rm->todo) && !rm->stopping)
			g_cond_wait(&rm->cond, &rm->lock);
		job = g_queue_pop_head(&rm->todo);
		if (!job)
			break;
		g_mutex_unlock(&rm->lock);

		job->r = rmdir(job->path) < 0 && errno != ENOENT ? -errno : 0;

		g_mutex_lock(&rm->lock);
		g_queue_push_tail(&rm->done, job);
		g_cond_broadcast(&rm->cond);
		/* a full counter (2^64 - 2 unread) cannot happen; EAGAIN would be harmless */
		(void)!write(rm->wakeup_fd, &one, sizeof(one));
	}
	g_mutex_unlock(&rm->lock);
	return NULL;
}

static void job_report(TbsRemover *rm, RemoveJob *job)
{
	rm->pending--;
	job->done(job->r, job->userdata);
	g_free(job->path);
	g_free(job);
}

/* Results are taken in one go and reported outside the lock: done may queue again. */
static void report_done(TbsRemover *rm)
{
	GQueue done = G_QUEUE_INIT;
	RemoveJob *job;

	g_mutex_lock(&rm->lock);
	done = rm->done;
	g_queue_init(&rm->done);
	g_mutex_unlock(&rm->lock);
	while ((job = g_queue_pop_head(&done)))
		job_report(rm, job);
}

static int on_wakeup(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	report_done(userdata);
	return 0;
}

int tbs_remover_new(sd_event *event, TbsRemover **ret)
{
	g_autofree TbsRemover *rm = g_new0(TbsRemover, 1);
	int r;

	rm->wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rm->wakeup_fd < 0)
		return log_error_errno(errno, "Cannot create the removal worker's eventfd: %m");
	r = sd_event_add_io(event, &rm->wakeup, rm->wakeup_fd, EPOLLIN, on_wakeup, rm);
	if (r < 0) {
		close(rm->wakeup_fd);
		return log_error_errno(r, "Cannot watch the removal worker's eventfd: %m");
	}
	(void)sd_event_source_set_description(rm->wakeup, "configfs-remover");
	g_mutex_init(&rm->lock);
	g_cond_init(&rm->cond);
	g_queue_init(&rm->todo);
	g_queue_init(&rm->done);
	*ret = g_steal_pointer(&rm);
	return 0;
}

int tbs_remover_queue(TbsRemover *rm, const char *path, TbsRemoveDone done, void *userdata)
{
	RemoveJob *job;

	if (!rm->thread) {
		g_autoptr(GError) error = NULL;

		rm->thread = g_thread_try_new("tbs-remover", remover_thread, rm, &error);
		if (!rm->thread)
			return log_error_errno(EAGAIN,
					       "Cannot start the ConfigFS removal thread: %s",
					       error->message);
	}
	job = g_new0(RemoveJob, 1);
	job->path = g_strdup(path);
	job->done = done;
	job->userdata = userdata;
	g_mutex_lock(&rm->lock);
	g_queue_push_tail(&rm->todo, job);
	g_cond_broadcast(&rm->cond);
	g_mutex_unlock(&rm->lock);
	rm->pending++;
	return 0;
}

unsigned tbs_remover_pending(const TbsRemover *rm)
{
	return rm ? rm->pending : 0;
}

void tbs_remover_drain(TbsRemover *rm)
{
	while (rm && rm->pending > 0) {
		g_mutex_lock(&rm->lock);
		while (g_queue_is_empty(&rm->done))
			g_cond_wait(&rm->cond, &rm->lock);
		g_mutex_unlock(&rm->lock);
		report_done(rm);
	}
}

TbsRemover *tbs_remover_free(TbsRemover *rm)
{
	if (!rm)
		return NULL;
	tbs_remover_drain(rm);
	if (rm->thread) {
		g_mutex_lock(&rm->lock);
		rm->stopping = true;
		g_cond_broadcast(&rm->cond);
		g_mutex_unlock(&rm->lock);
		g_thread_join(rm->thread);
	}
	sd_event_source_disable_unref(rm->wakeup);
	close(rm->wakeup_fd);
	g_mutex_clear(&rm->lock);
	g_cond_clear(&rm->cond);
	g_free(rm);
	return NULL;
}
