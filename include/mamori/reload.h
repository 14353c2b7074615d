/*
 * reload: live rule reload (SIGHUP, SIGUSR2).
 *
 * A reloader thread waits for a request, loads the rules again through the
 * caller's loader, builds a new detection engine and one detect thread per
 * worker, all off the packet path, then hands each worker its new thread.
 * A worker swaps between batches (worker_poll_detect), so every packet is
 * inspected by exactly one ruleset, and flows keep their state (flowbit
 * names keep their ids across reloads). Once every worker has swapped, the
 * old threads, engine and ruleset are freed. A reload whose rules do not
 * all load, or whose engine cannot be built, changes nothing: the error is
 * logged and counted and the old ruleset keeps running. Threshold state
 * lives in the detect threads and starts over with the new ruleset.
 */
#ifndef MAMORI_RELOAD_H
#define MAMORI_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/detect.h"
#include "mamori/rule.h"
#include "mamori/stats.h"
#include "mamori/worker.h"

/* Load the rules again. prev is the live ruleset (its flowbit names are to
 * be inherited, ruleset_inherit_bits). Returns the new ruleset, or NULL
 * with a reason in err; a ruleset with failed rules is returned too (the
 * reloader refuses it). */
typedef struct ruleset *(*reload_load_fn)(void *arg, const struct ruleset *prev,
					  char *err, size_t errlen);

struct reloader;

/* Take over rs and e (they are the live ruleset and engine; the workers
 * already run threads of e) and start the thread; mem_bytes is the heap
 * loading and building them took (reload_heap_in_use before and after).
 * NULL on failure. */
struct reloader *reloader_start(struct worker *workers, unsigned nworkers,
				struct ruleset *rs, struct detect_engine *e, uint64_t mem_bytes,
				const struct detect_engine_config *dc,
				reload_load_fn load, void *arg);

/* Heap bytes in use now (glibc mallinfo2). */
uint64_t reload_heap_in_use(void);
/* Ask for a reload; async-signal-safe. Requests during a reload fold into
 * one more reload after it. */
void reloader_request(struct reloader *r);
void reloader_info(struct reloader *r, struct ruleset_stats *out);
/* Stop the thread (while the workers run or after they exited), free what
 * a reload left behind, and hand back the live ruleset and engine, which
 * the caller frees after the workers (their detect threads are the
 * workers'). */
void reloader_stop(struct reloader *r, struct ruleset **rs, struct detect_engine **e);

/* Hash of a ruleset's rule texts, as ruleset_stats.hash. */
void reload_ruleset_hash(const struct ruleset *rs, char out[17]);

#endif
