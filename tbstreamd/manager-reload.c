/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reload (SIGHUP, the D-Bus Reload) without stalling the event loop.
 *
 * Loading the policy may wait on NSS for as long as NSS likes (Owner= and
 * Group= names, looked up in LDAP or sssd), so the files are read and the
 * names resolved on a worker thread that shares nothing with the loop but the
 * job it was handed; the loop hears of the result through an eventfd. The new
 * policy is then applied to one connected peer per loop iteration (each may
 * cost a few ConfigFS mkdirs and rmdirs), so callers are served between peers.
 *
 * A reload asked for while one runs is done after it, since the files may have
 * changed after they were read; the requests that wait meanwhile share that
 * one load. The start-up load stays synchronous: nothing is served yet.
 *
 * Shutdown never waits for the worker: it may be in NSS for good, and a stop
 * must not hang until systemd's SIGKILL. The job is shared (one reference the
 * loop's, one the worker's) and carries its own eventfd, so a worker that
 * outlives the manager touches nothing the manager freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "manager-private.h"
#include "util.h"

typedef struct Waiter {
	TbsReloadDone done;
	void *userdata;
} Waiter;

typedef struct PolicyJob {
	char *config_dir, *vendor_dir;
	TbsPolicy *policy;
	GPtrArray *errors, *details;
	int r;
	int efd; /* a duplicate of the loop's, the job's own: written once when done */
	gint refs;
} PolicyJob;

struct MgrReload {
	int efd;
	sd_event_source *loaded; /* efd readable: the worker is done */
	sd_event_source *step;	 /* applies the new policy to the next peer */
	GThread *thread;
	PolicyJob *job;
	GPtrArray *peers; /* ids of the peers still to evaluate */
	int result;
	bool running;	 /* from the thread's start to the last peer evaluated */
	GArray *waiters; /* Waiter: for the reload that runs */
	GArray *next;	 /* Waiter: asked for after it started */
};

static void job_unref(PolicyJob *j)
{
	if (!j || !g_atomic_int_dec_and_test(&j->refs))
		return;
	if (j->efd >= 0)
		close(j->efd);
	g_free(j->config_dir);
	g_free(j->vendor_dir);
	tbs_policy_free(j->policy);
	g_ptr_array_unref(j->errors);
	g_ptr_array_unref(j->details);
	g_free(j);
}

static gpointer load_thread(gpointer data)
{
	PolicyJob *j = data;
	uint64_t one = 1;

	j->r = tbs_policy_load_full(j->config_dir, j->vendor_dir, &j->policy, j->errors,
				    j->details);
	/* cannot fail short of a counter overflow; the loop waits for this */
	if (write(j->efd, &one, sizeof(one)) != sizeof(one))
		log_error_errno(-errno, "Cannot tell the event loop the policy is loaded: %m");
	job_unref(j);
	return NULL;
}

static int start_load(TbsManager *m)
{
	MgrReload *rl = m->reload;
	g_autoptr(GError) err = NULL;
	PolicyJob *j;

	j = g_new0(PolicyJob, 1);
	j->config_dir = g_strdup(m->config_dir);
	j->vendor_dir = g_strdup(m->vendor_dir);
	j->errors = g_ptr_array_new_with_free_func(g_free);
	j->details = g_ptr_array_new_with_free_func((GDestroyNotify)tbs_policy_error_free);
	j->refs = 2; /* the loop's and the worker's */
	j->efd = fcntl(rl->efd, F_DUPFD_CLOEXEC, 3);
	if (j->efd < 0) {
		int r = log_error_errno(-errno, "Cannot hand the policy thread an eventfd: %m");

		j->refs = 1;
		job_unref(j);
		return r;
	}
	rl->thread = g_thread_try_new("tbs-policy", load_thread, j, &err);
	if (!rl->thread) {
		j->refs = 1;
		job_unref(j);
		log_error("Cannot start a thread to load the policy: %s", err->message);
		return -EAGAIN;
	}
	rl->job = j;
	rl->running = true;
	return 0;
}

static void call_back(TbsManager *m, GArray *waiters, int r)
{
	for (unsigned i = 0; i < waiters->len; i++) {
		Waiter *w = &g_array_index(waiters, Waiter, i);
		w->done(m, r, w->userdata);
	}
}

static void finish(TbsManager *m, int r)
{
	MgrReload *rl = m->reload;
	g_autoptr(GArray) done = g_steal_pointer(&rl->waiters);
	g_autoptr(GArray) failed = NULL;
	int k = 0;

	rl->running = false;
	rl->waiters = g_steal_pointer(&rl->next);
	rl->next = g_array_new(false, false, sizeof(Waiter));
	if (rl->waiters->len > 0 && (k = start_load(m)) < 0) {
		/* they asked after the last load had read the files: an error, not stale files */
		failed = g_steal_pointer(&rl->waiters);
		rl->waiters = g_array_new(false, false, sizeof(Waiter));
	}
	/* last: a callback may ask for another reload */
	call_back(m, done, r);
	if (failed)
		call_back(m, failed, k);
}

/* Evaluate one peer under the new policy; false when none is left. */
static bool step_one(TbsManager *m)
{
	MgrReload *rl = m->reload;
	g_autofree char *id = NULL;
	TbsPeer *p;

	if (rl->peers->len == 0)
		return false;
	id = g_ptr_array_steal_index(rl->peers, rl->peers->len - 1);
	/* gone meanwhile: nothing to do; plugged meanwhile: its own event used the new policy */
	p = g_hash_table_lookup(m->peers, id);
	if (p)
		mgr_evaluate_peer(m, p);
	return rl->peers->len > 0;
}

static void applied(TbsManager *m)
{
	mgr_update_status(m);
	finish(m, m->reload->result);
}

static int on_step(sd_event_source *s, void *userdata)
{
	TbsManager *m = userdata;
	int r;

	if (!step_one(m)) {
		applied(m);
		return 0;
	}
	r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_error_errno(r, "Cannot schedule applying the policy, applying it at once: %m");
		while (step_one(m))
			;
		applied(m);
	}
	return 0;
}

static int on_loaded(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	TbsManager *m = userdata;
	MgrReload *rl = m->reload;
	PolicyJob *j = g_steal_pointer(&rl->job);
	GHashTableIter it;
	uint64_t n;
	TbsPeer *p;
	int r;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warning_errno(-errno, "Cannot read the policy thread's signal: %m");
	if (!j)
		return 0;
	g_thread_join(g_steal_pointer(&rl->thread));
	r = mgr_policy_apply(m, j->r, g_steal_pointer(&j->policy), j->errors, j->details);
	job_unref(j);
	mgr_probe_configfs(m);
	rl->result = r;
	if (r == 0) {
		g_hash_table_iter_init(&it, m->peers);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
			g_ptr_array_add(rl->peers, g_strdup(p->id));
	}
	/* through the step source even with no peer: a callback must not run inside this one */
	r = sd_event_source_set_enabled(rl->step, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_error_errno(r, "Cannot schedule applying the policy, applying it at once: %m");
		while (step_one(m))
			;
		applied(m);
	}
	return 0;
}

int mgr_reload_new(TbsManager *m)
{
	MgrReload *rl = g_new0(MgrReload, 1);
	int r;

	m->reload = rl;
	rl->waiters = g_array_new(false, false, sizeof(Waiter));
	rl->next = g_array_new(false, false, sizeof(Waiter));
	rl->peers = g_ptr_array_new_with_free_func(g_free);
	rl->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rl->efd < 0)
		return log_error_errno(-errno, "Cannot make an eventfd for reloads: %m");
	r = sd_event_add_io(m->event, &rl->loaded, rl->efd, EPOLLIN, on_loaded, m);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the policy thread: %m");
	r = sd_event_add_defer(m->event, &rl->step, on_step, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(rl->step, SD_EVENT_OFF);
	if (r < 0)
		return log_error_errno(r, "Cannot set up reloads: %m");
	return 0;
}

void mgr_reload_free(TbsManager *m)
{
	MgrReload *rl = m->reload;

	if (!rl)
		return;
	/* a load in flight is left to finish on its own (it may be in NSS for good) */
	if (rl->thread)
		g_thread_unref(rl->thread);
	job_unref(rl->job);
	rl->loaded = sd_event_source_disable_unref(rl->loaded);
	rl->step = sd_event_source_disable_unref(rl->step);
	if (rl->efd >= 0)
		close(rl->efd);
	g_ptr_array_unref(rl->peers);
	g_array_unref(rl->waiters);
	g_array_unref(rl->next);
	g_free(rl);
	m->reload = NULL;
}

bool tbs_manager_reloading(TbsManager *m)
{
	return m->reload && m->reload->running;
}

int tbs_manager_reload(TbsManager *m, TbsReloadDone done, void *userdata)
{
	MgrReload *rl = m->reload;
	Waiter w = {done, userdata};
	int r;

	if (rl->running) {
		g_array_append_val(rl->next, w);
		return 0;
	}
	g_array_append_val(rl->waiters, w);
	r = start_load(m);
	if (r < 0)
		g_array_set_size(rl->waiters, 0);
	return r;
}

void tbs_manager_reload_cancel(TbsManager *m, TbsReloadDone done, void *userdata)
{
	GArray *lists[] = {m->reload->waiters, m->reload->next};

	for (unsigned l = 0; l < G_N_ELEMENTS(lists); l++)
		for (unsigned i = lists[l]->len; i-- > 0;) {
			Waiter *w = &g_array_index(lists[l], Waiter, i);
			if (w->done == done && w->userdata == userdata)
				g_array_remove_index(lists[l], i);
		}
}
