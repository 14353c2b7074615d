/*
 * reload: live rule reload (see reload.h).
 *
 * The thread sleeps in poll() on a pipe; the signal handler writes a byte
 * to it (write is async-signal-safe), and reloader_stop writes another
 * after setting the stop flag. The heap a reload takes is read from
 * glibc's mallinfo2() before and after the load and build: the reloader is
 * the only thread allocating then (workers and output never do), so the
 * difference is the new ruleset's.
 */
#define _GNU_SOURCE             /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mamori/clock.h"
#include "mamori/flow.h"
#include "mamori/log.h"
#include "mamori/reload.h"

struct reloader {
	struct worker *workers;
	unsigned nworkers;
	struct ruleset *rs;             /* live; the reloader thread's */
	struct detect_engine *e;
	struct detect_engine_config dc;
	reload_load_fn load;
	void *arg;
	int pipe[2];
	int stop;                       /* atomic */
	pthread_t thread;
	pthread_mutex_t lock;           /* info */
	struct ruleset_stats info;
};

void reload_ruleset_hash(const struct ruleset *rs, char out[17])
{
	size_t n = ruleset_count(rs), len = 0;
	uint8_t md[20];
	char *buf, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(ruleset_rule(rs, i)->text) + 1;
	p = buf = malloc(len + 1);
	if (!buf) {
		snprintf(out, 17, "unknown");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = ruleset_rule(rs, i)->text;
		size_t l = strlen(t);

		memcpy(p, t, l);
		p[l] = '\n';
		p += l + 1;
	}
	mamori_sha1(buf, len, md);
	free(buf);
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

uint64_t reload_heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

static void set_info(struct reloader *r, const struct ruleset *rs,
		     const struct detect_engine *e, uint64_t build_us, uint64_t mem)
{
	struct detect_engine_stats es;

	detect_engine_info(e, &es);
	pthread_mutex_lock(&r->lock);
	r->info.generation++;
	reload_ruleset_hash(rs, r->info.hash);
	r->info.rules_loaded = ruleset_count(rs);
	r->info.rules_active = es.rules_active;
	r->info.loaded_at_us = clock_wall_us();
	r->info.build_us = build_us;
	r->info.memory_bytes = mem;
	r->info.hs_bytes = es.hs_bytes;
	pthread_mutex_unlock(&r->lock);
}

static void refuse(struct reloader *r, const char *why)
{
	log_error("rule reload failed, the old ruleset keeps running: %s", why);
	pthread_mutex_lock(&r->lock);
	r->info.reload_failures++;
	snprintf(r->info.last_error, sizeof(r->info.last_error), "%s", why);
	pthread_mutex_unlock(&r->lock);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Hand every worker its new thread, wait until each swapped (or exited),
 * and free the threads they swapped out. */
static void swap_in(struct reloader *r, struct detect_thread **next)
{
	for (unsigned i = 0; i < r->nworkers; i++)
		__atomic_store_n(&r->workers[i].det_next, next[i], __ATOMIC_RELEASE);
	for (unsigned i = 0; i < r->nworkers; i++) {
		struct worker *w = &r->workers[i];

		for (;;) {
			if (!__atomic_load_n(&w->det_next, __ATOMIC_ACQUIRE))
				break;
			if (__atomic_load_n(&w->exited, __ATOMIC_ACQUIRE)) {
				/* it will never swap: take it back, unless
				 * it swapped on its way out */
				detect_thread_free(__atomic_exchange_n(&w->det_next, NULL,
								       __ATOMIC_ACQ_REL));
				break;
			}
			nap_ms(1);
		}
		detect_thread_free(__atomic_exchange_n(&w->det_retired, NULL, __ATOMIC_ACQ_REL));
	}
}

static void reload_once(struct reloader *r)
{
	struct detect_thread **next = NULL;
	struct detect_engine *e = NULL;
	struct ruleset *rs;
	char err[512] = "";
	uint64_t t0 = clock_mono_ns(), m0 = reload_heap_in_use(), mem;
	size_t failed;

	log_notice("rule reload: loading");
	rs = r->load(r->arg, r->rs, err, sizeof(err));
	if (!rs) {
		refuse(r, err[0] ? err : "cannot load the rules");
		return;
	}
	failed = ruleset_failed(rs);
	if (failed) {
		snprintf(err, sizeof(err), "%zu rule%s failed to load (errors above)", failed,
			 failed == 1 ? "" : "s");
		goto fail;
	}
	e = detect_engine_build(rs, &r->dc, err, sizeof(err));
	if (!e)
		goto fail;
	next = calloc(r->nworkers ? r->nworkers : 1, sizeof(*next));
	if (!next) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < r->nworkers; i++) {
		next[i] = detect_thread_new(e, &r->workers[i].dtstats);
		if (!next[i]) {
			snprintf(err, sizeof(err), "out of memory for worker %u's detect state", i);
			goto fail;
		}
	}
	mem = reload_heap_in_use() - m0;
	if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		snprintf(err, sizeof(err), "the sensor is stopping");
		goto fail;
	}
	swap_in(r, next);
	free(next);
	/* every worker runs e now (or has exited): the old ones can go */
	detect_engine_free(r->e);
	ruleset_free(r->rs);
	r->e = e;
	r->rs = rs;
	set_info(r, rs, e, (clock_mono_ns() - t0) / 1000, mem);
	pthread_mutex_lock(&r->lock);
	r->info.reloads++;
	pthread_mutex_unlock(&r->lock);
	log_notice("rule reload: %zu rules loaded, %llu active, ruleset %s, %.1f MiB, "
		   "%.3f s", ruleset_count(rs), (unsigned long long)r->info.rules_active,
		   r->info.hash, mem / 1048576.0, (clock_mono_ns() - t0) / 1e9);
	return;
fail:
	for (unsigned i = 0; next && i < r->nworkers; i++)
		detect_thread_free(next[i]);
	free(next);
	detect_engine_free(e);
	ruleset_free(rs);
	refuse(r, err);
}

static void *reloader_main(void *arg)
{
	struct reloader *r = arg;
	struct pollfd pfd = { .fd = r->pipe[0], .events = POLLIN };
	char buf[64];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		/* requests made meanwhile fold into this one */
		while (read(r->pipe[0], buf, sizeof(buf)) > 0)
			;
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			break;
		reload_once(r);
	}
	return NULL;
}

struct reloader *reloader_start(struct worker *workers, unsigned nworkers,
				struct ruleset *rs, struct detect_engine *e, uint64_t mem_bytes,
				const struct detect_engine_config *dc,
				reload_load_fn load, void *arg)
{
	struct detect_engine_stats es;

	struct reloader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->workers = workers;
	r->nworkers = nworkers;
	r->rs = rs;
	r->e = e;
	if (dc)
		r->dc = *dc;
	r->load = load;
	r->arg = arg;
	pthread_mutex_init(&r->lock, NULL);
	if (pipe2(r->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	detect_engine_info(e, &es);
	set_info(r, rs, e, es.build_us, mem_bytes);
	if (pthread_create(&r->thread, NULL, reloader_main, r) != 0) {
		close(r->pipe[0]);
		close(r->pipe[1]);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	return r;
}

void reloader_request(struct reloader *r)
{
	ssize_t n;

	if (!r)
		return;
	/* a full pipe already holds a request */
	n = write(r->pipe[1], "r", 1);
	(void)n;
}

void reloader_info(struct reloader *r, struct ruleset_stats *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->info;
	pthread_mutex_unlock(&r->lock);
}

void reloader_stop(struct reloader *r, struct ruleset **rs, struct detect_engine **e)
{
	ssize_t n;

	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	n = write(r->pipe[1], "q", 1);
	(void)n;
	pthread_join(r->thread, NULL);
	close(r->pipe[0]);
	close(r->pipe[1]);
	pthread_mutex_destroy(&r->lock);
	*rs = r->rs;
	*e = r->e;
	free(r);
}
