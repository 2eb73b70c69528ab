// cgoguard run-time C-memory tracker: an LD_PRELOAD interposer for the
// malloc family. Built by tracker/preload at first use; driven by the Go
// package tracker, which computes every Go runtime offset from the target
// binary and passes them in CGOGUARD_CONF.
//
// Rules this file lives by:
//   - never allocate inside a hook: allocation goes to glibc's __libc_*
//     entry points, metadata lives in mmap'ed memory;
//   - records live in a MAP_SHARED file so they survive os.Exit (a raw
//     exit_group, no destructors), panics and SIGKILL; the driver reads the
//     file after the process ends;
//   - no global lock on the hot path: the block table is sharded by address.
//
// The file layout is mirrored in tracker/records.go; keep them in sync.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

// ---- file layout (see records.go) ----
#define MAGIC "CGGTRK1"
#define VERSION 1
#define HDR_SIZE (64 * 1024)
#define CHUNK_SIZE (4u << 20)
#define MAX_CHUNKS 16384
#define TYPES_OFF 4096
#define SHARDSTATS_OFF 32768
#define MAPS_OFF 40960 // a copy of /proc/self/maps at start-up, to name C callers in shared libraries
#define NSHARDS 64
#define NODE_SIZE 64
#define NODES_PER_CHUNK (CHUNK_SIZE / NODE_SIZE)
#define WORDS_PER_CHUNK (CHUNK_SIZE / 8)
#define ERR_SIZE 128
#define ERRS_PER_CHUNK (CHUNK_SIZE / ERR_SIZE)
#define MAXDEPTH 64
#define STACK_HDR_WORDS 6 // info, hash, alloc objs, alloc bytes, free objs, free bytes

enum { CH_NODES = 1, CH_STACKS = 2, CH_ERRS = 3 };
enum { ST_UNUSED = 0, ST_LIVE = 1, ST_FREED = 2, ST_RECYCLED = 3 };
enum { K_MALLOC = 1, K_CALLOC, K_REALLOC, K_MEMALIGN, K_VALLOC };
enum { E_DOUBLE_FREE = 1, E_INVALID_FREE = 2, E_WRITE_AFTER_FREE = 3, E_INVALID_REALLOC = 4 };
// Stack info flags (high half of word 0).
enum { SF_GO = 1, SF_TRUNC = 2, SF_CALLBACK = 4 };
// Header flags.
enum { HF_OVERFLOW = 1, HF_STACKS_FULL = 2, HF_ERRS_FULL = 4 };

struct header {
	char magic[8];
	uint32_t version, hdr_size;
	uint32_t chunk_size, max_chunks;
	uint32_t node_size, err_size;
	uint32_t pid, nshards;
	uint64_t bias;
	uint64_t nchunks;       // chunks in use (after the header)
	uint64_t nodes_used;    // node slots handed out
	uint64_t words_used;    // stack-store words handed out
	uint64_t nerrs;         // error records written
	uint64_t flags;         // HF_*
	uint64_t epoch;         // bumped by the in-process helper (VerifyNone)
	uint64_t quarantine;    // quarantine budget in bytes
	uint64_t ready;         // 1 once the header is complete
	uint64_t poison_max;    // bytes poisoned per freed block
	uint64_t sample_rate;   // 0: every block tracked; else one sampled block per this many bytes on average
};

struct shardstats { // one cache line per shard
	// evicted counts the dead nodes of evicted blocks unlinked so far
	// (under the lock; the eviction itself takes none).
	uint64_t allocs, frees, alloc_bytes, free_bytes, quarantined, evicted, pad[2];
};

struct node {
	uint64_t ptr, size;
	uint64_t apc, fpc;     // C caller of the allocation / of the free
	uint32_t astack, fstack; // stack ids (word offset + 1), 0 = none
	uint32_t next;         // bucket chain / free list (index + 1)
	uint32_t epoch;
	uint8_t state, kind;
	uint16_t pad;
	uint32_t tid;
	uint64_t aux;
};
_Static_assert(sizeof(struct node) == NODE_SIZE, "node size");

struct errrec {
	uint32_t kind, tid;
	uint64_t ptr, size;
	uint32_t astack, fstack, f2stack, pad;
	uint64_t apc, fpc, f2pc;
	uint64_t detail;
	uint64_t spare[7];
};
_Static_assert(sizeof(struct errrec) == ERR_SIZE, "err size");

// ---- configuration from CGOGUARD_CONF ----
static struct {
	uint64_t dev, ino, entry;
	int64_t tls;
	int64_t g_stack, g_m, g_pc, g_bp;
	int64_t m_g0, m_curg, m_incgo, m_extrainc;
	uint64_t cbk_lo, cbk_hi, cgc_lo, cgc_hi; // link-time ranges of runtime.cgocallback / runtime.cgocall
	uint64_t quarantine, poison, depth, profile;
	uint64_t sample; // mean bytes between sampled allocations, 0 = track all
} conf;

static volatile int enabled;     // tracking on
static int fd = -1;
static dev_t fd_dev; // identity of the record file, checked before growing it:
static ino_t fd_ino; // a program may close or reuse our descriptor
static struct header *hdr;
static uint8_t *types;
static struct shardstats *sstats;
static uint64_t bias;
static uint64_t cbk_lo, cbk_hi, cgc_lo, cgc_hi; // runtime addresses
static uint64_t cbk_len; // cbk_hi - cbk_lo

// Chunk tables: k-th chunk of each kind, published with release stores.
static struct node *node_chunks[MAX_CHUNKS];
static uint64_t *word_chunks[MAX_CHUNKS];
static struct errrec *err_chunks[MAX_CHUNKS];
// Lock order: one shard's lock, then stack_lock, then grow_lock. No code
// holds two shard locks.
static pthread_mutex_t grow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;

// ---- small lock ----
typedef struct { volatile int v; } spin_t;
static inline void spin_lock(spin_t *l) {
	for (int n = 0;; n++) {
		if (!__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
			return;
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED)) {
			if (++n > 64) {
				sched_yield(); // the holder may be descheduled: give it the CPU
				n = 0;
			} else {
				__builtin_ia32_pause();
			}
		}
	}
}
static inline void spin_unlock(spin_t *l) { __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE); }

// ---- shards ----
#define NBUCKETS (1u << 14)
#define QCAP 8192
// A quarantine entry carries what releasing the block needs, so that the
// eviction of a block freed thousands of frees ago reads no cold node.
struct qent {
	uint64_t ptr;
	uint32_t idx;  // node index
	uint32_t size; // < 4 GiB: larger blocks are never quarantined
};
struct shard {
	spin_t lock;
	uint32_t freelist;     // recycled nodes (index + 1)
	uint32_t *buckets;     // NBUCKETS chain heads (index + 1)
	char pad[48];
} __attribute__((aligned(64))); // one cache line per shard
_Static_assert(sizeof(struct shard) == 64, "shard size");
static struct shard shards[NSHARDS];

// ---- per-thread cache ----
// The quarantine is per thread, FIFO: a thread's frees push out its own
// oldest freed blocks once all threads together hold more than the budget.
// (Per-address shards would not do: glibc hands the same few addresses back,
// which would cycle through a few shards and never push out the others.)
#define NLAST 4
struct lastst {
	uint32_t id, n, flags, pad;
	uint64_t pcs[MAXDEPTH + 1];
};
struct tcache {
	struct qent *ring; // the quarantined blocks, oldest at qhead
	uint32_t qhead, qlen;
	uint32_t tid;
	int64_t qdelta; // this thread's quarantined bytes not yet added to qtotal
	int64_t sample_left; // bytes to allocate before the next sampled block
	uint64_t rng;        // xorshift state for the sampling draws, 0 until seeded
	// The last stacks this thread interned, by call site: an allocation
	// and the free that follows it alternate between two stacks.
	struct lastst last[NLAST];
};
static __thread struct tcache tc __attribute__((tls_model("initial-exec")));
static uint64_t qtotal; // bytes in all threads' quarantines, but their qdelta
static int64_t qslack;   // a thread publishes its qdelta once it reaches this
static pthread_key_t qkey; // its destructor drains an exiting thread's quarantine

static inline uint32_t gettid_cached(void) {
	if (UNLIKELY(tc.tid == 0))
		tc.tid = (uint32_t)syscall(SYS_gettid);
	return tc.tid;
}

// ---- chunk management ----
static void *map_chunk(int type) {
	// Called with grow_lock held.
	uint64_t k = hdr->nchunks;
	if (k >= MAX_CHUNKS)
		return NULL;
	off_t off = HDR_SIZE + (off_t)k * CHUNK_SIZE;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || sb.st_dev != fd_dev || sb.st_ino != fd_ino)
		return NULL;
	// fallocate reserves the blocks so a full disk is an error here, not a
	// SIGBUS later.
	if (fallocate(fd, 0, off, CHUNK_SIZE) != 0 && ftruncate(fd, off + CHUNK_SIZE) != 0)
		return NULL;
	void *p = mmap(NULL, CHUNK_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return NULL;
	types[k] = (uint8_t)type;
	__atomic_store_n(&hdr->nchunks, k + 1, __ATOMIC_RELEASE);
	return p;
}

static int ensure_chunk(void **table, uint64_t want, int type) {
	if (LIKELY(__atomic_load_n(&table[want], __ATOMIC_ACQUIRE) != NULL))
		return 1;
	if (want >= MAX_CHUNKS)
		return 0;
	pthread_mutex_lock(&grow_lock);
	int ok = 1;
	for (uint64_t k = 0; k <= want; k++) {
		if (table[k] != NULL)
			continue;
		void *p = map_chunk(type);
		if (p == NULL) {
			ok = 0;
			break;
		}
		__atomic_store_n(&table[k], p, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&grow_lock);
	return ok;
}

static inline struct node *node_at(uint32_t i) { return &node_chunks[i / NODES_PER_CHUNK][i % NODES_PER_CHUNK]; }

static void set_flag(uint64_t f) { __atomic_or_fetch(&hdr->flags, f, __ATOMIC_RELAXED); }

// ---- Go stack capture ----
static inline uintptr_t rd(uintptr_t a) { return *(volatile uintptr_t *)a; }

static inline uintptr_t getg_tls(void) {
	uintptr_t g;
	__asm__ volatile("movq %%fs:(%1), %0" : "=r"(g) : "r"(conf.tls));
	return g;
}

static inline uint64_t hash_pcs(const uint64_t *pcs, int n) {
	uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
	for (int i = 0; i < n; i++) {
		h ^= pcs[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

// Dedup index over the stack store: open addressing, published with CAS-free
// release stores under stack_lock; lookups are lock-free.
#define SINDEX (1u << 20)
static uint32_t *sindex;
static uint64_t sindex_used;

static inline uint64_t *stack_words(uint32_t id) {
	uint64_t w = id - 1;
	return &word_chunks[w / WORDS_PER_CHUNK][w % WORDS_PER_CHUNK];
}

static int stack_eq(uint32_t id, const uint64_t *pcs, int n, uint32_t flags, uint64_t h) {
	uint64_t *s = stack_words(id);
	if (s[1] != h || (s[0] & 0xffff) != (uint64_t)n || (s[0] >> 16) != flags)
		return 0;
	return memcmp(s + STACK_HDR_WORDS, pcs, n * 8) == 0;
}

static uint32_t intern_stack(const uint64_t *pcs, int n, uint32_t flags) {
	uint64_t h = hash_pcs(pcs, n) ^ flags;
	uint32_t mask = SINDEX - 1, i = (uint32_t)h & mask;
	for (;;) {
		uint32_t id = __atomic_load_n(&sindex[i], __ATOMIC_ACQUIRE);
		if (id == 0)
			break;
		if (stack_eq(id, pcs, n, flags, h))
			return id;
		i = (i + 1) & mask;
	}
	pthread_mutex_lock(&stack_lock);
	// Re-probe: another thread may have inserted it meanwhile.
	i = (uint32_t)h & mask;
	for (;;) {
		uint32_t id = sindex[i];
		if (id == 0)
			break;
		if (stack_eq(id, pcs, n, flags, h)) {
			pthread_mutex_unlock(&stack_lock);
			return id;
		}
		i = (i + 1) & mask;
	}
	uint64_t need = STACK_HDR_WORDS + n;
	uint64_t w = hdr->words_used;
	if (w % WORDS_PER_CHUNK + need > WORDS_PER_CHUNK)
		w = (w / WORDS_PER_CHUNK + 1) * WORDS_PER_CHUNK; // records never straddle chunks; a zero word means "skip to next chunk"
	uint32_t id = 0;
	if (w + need < 0xffffffffull && ensure_chunk((void **)word_chunks, (w + need - 1) / WORDS_PER_CHUNK, CH_STACKS)) {
		id = (uint32_t)(w + 1);
		uint64_t *s = stack_words(id);
		s[1] = h;
		s[2] = s[3] = s[4] = s[5] = 0;
		memcpy(s + STACK_HDR_WORDS, pcs, n * 8);
		__atomic_store_n(&s[0], (uint64_t)n | ((uint64_t)flags << 16), __ATOMIC_RELEASE);
		__atomic_store_n(&hdr->words_used, w + need, __ATOMIC_RELEASE);
		if (sindex_used < SINDEX / 4 * 3) { // keep probes short; beyond this, stacks are stored but not deduplicated
			__atomic_store_n(&sindex[i], id, __ATOMIC_RELEASE);
			sindex_used++;
		}
	} else {
		set_flag(HF_STACKS_FULL);
	}
	pthread_mutex_unlock(&stack_lock);
	return id;
}

// capture returns the stack id of the current call: the hook's C return
// address cpc, then the Go stack of the goroutine whose C code called the
// allocator. It returns 0 when the caller is not a goroutine in a cgo call.
//
// Most allocation sites repeat, so the walk compares each frame with this
// thread's last stack from the same C caller and Go call site as it goes:
// a repeated stack costs one walk and no hashing, no shared index.
// callback_frame handles a frame whose return address lies in
// runtime.cgocallback (C->Go->C). That frame (cgocallbackg's ABI wrapper)
// was called from the 40-byte frame runtime.cgocallback laid out on the
// goroutine stack right below curg.sched.sp, the SP that asmcgocall saved
// (gosave_systemstack_switch) after pushing its frame pointer. So
// curg.sched.sp is a frame record of the outer call: [sp] = the outer
// runtime.cgocall's frame pointer, [sp+8] = asmcgocall's return into it.
// It returns that record's address, or 0 when the layout is not the one we
// know: stop rather than guess.
static __attribute__((noinline)) uintptr_t callback_frame(uintptr_t bp, uintptr_t hi) {
	uintptr_t ssp = bp + 16 + 40;
	if (ssp > hi - 16)
		return 0;
	uintptr_t opc = rd(ssp + 8), obp = rd(ssp);
	if (opc < cgc_lo || opc >= cgc_hi || obp <= ssp || obp >= hi || (obp & 7))
		return 0;
	return ssp;
}

static uint32_t capture(uint64_t cpc) {
	uintptr_t g = getg_tls();
	if (g == 0)
		return 0; // not a Go thread, or Go not started
	uintptr_t m = rd(g + conf.g_m);
	if (m == 0)
		return 0;
	// The runtime's own signal handler uses this test for "in a cgo call".
	if (rd(m + conf.m_g0) != g || !*(volatile uint8_t *)(m + conf.m_incgo) ||
	    *(volatile uint8_t *)(m + conf.m_extrainc))
		return 0;
	uintptr_t cg = rd(m + conf.m_curg);
	if (cg == 0)
		return 0;
	// The goroutine is parked in this cgo call (_Gsyscall): its stack
	// cannot move while we walk it.
	uintptr_t lo = rd(cg + conf.g_stack), hi = rd(cg + conf.g_stack + 8);
	uintptr_t bp = rd(cg + conf.g_bp);
	uint64_t pcs[MAXDEPTH + 1];
	uint32_t flags = SF_GO;
	int max = (int)conf.depth + 1, n = 0;
	pcs[n++] = cpc;
	pcs[n++] = rd(cg + conf.g_pc);
	// Invariants of the walk: lo <= bp, bp is 8-aligned, and bp grows with
	// every frame; so each frame needs only the upper bound, written so
	// that a wild bp cannot wrap around.
	if (hi < lo + 16 || bp < lo || (bp & 7))
		bp = hi; // no frame to walk
	uintptr_t top = hi - 16;
	// The cache slot is chosen by the C caller and the Go caller of the
	// cgo call (the first frame's return address), before the walk.
	uint64_t first = pcs[1];
	if (bp <= top && rd(bp + 8) != 0)
		first = rd(bp + 8);
	struct lastst *l = &tc.last[(cpc ^ (first >> 4)) % NLAST];
	uint64_t diff = (l->pcs[0] ^ cpc) | (l->pcs[1] ^ pcs[1]) | (l->id == 0);
	while (n < max && bp <= top) {
		uintptr_t pc = rd(bp + 8);
		if (pc == 0)
			break;
		if (UNLIKELY(pc - cbk_lo < cbk_len)) {
			uintptr_t ssp = callback_frame(bp, hi);
			if (ssp == 0) {
				flags |= SF_TRUNC;
				break;
			}
			diff |= l->pcs[n] ^ pc;
			pcs[n++] = pc;
			flags |= SF_CALLBACK;
			bp = ssp;
			continue;
		}
		diff |= l->pcs[n] ^ pc;
		pcs[n++] = pc;
		uintptr_t nbp = rd(bp);
		if (nbp <= bp || (nbp & 7))
			break;
		bp = nbp;
	}
	if (n >= max)
		flags |= SF_TRUNC;
	if (diff == 0 && l->n == (uint32_t)n && l->flags == flags)
		return l->id;
	uint32_t id = intern_stack(pcs, n, flags);
	if (id) {
		memcpy(l->pcs, pcs, n * 8);
		l->n = n;
		l->flags = flags;
		l->id = id;
	}
	return id;
}

static inline void profile_count(uint32_t id, int freeing, uint64_t size) {
	if (!conf.profile || id == 0)
		return;
	uint64_t *s = stack_words(id);
	__atomic_fetch_add(&s[freeing ? 4 : 2], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s[freeing ? 5 : 3], size, __ATOMIC_RELAXED);
}

// ---- block table ----
static inline uint64_t hptr(uint64_t p) {
	uint64_t h = p * 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}
static inline struct shard *shard_of(uint64_t h) { return &shards[h >> 58]; }
static inline uint32_t bucket_of(uint64_t h) { return (uint32_t)h & (NBUCKETS - 1); }

static uint32_t new_node(struct shard *sh) {
	// Called with the shard lock held.
	if (sh->freelist) {
		uint32_t i = sh->freelist - 1;
		sh->freelist = node_at(i)->next;
		return i + 1;
	}
	uint64_t i = __atomic_fetch_add(&hdr->nodes_used, 1, __ATOMIC_RELAXED);
	if (i >= 0xfffffff0ull || !ensure_chunk((void **)node_chunks, i / NODES_PER_CHUNK, CH_NODES))
		return 0;
	return (uint32_t)i + 1;
}

static void report(uint32_t kind, struct node *nd, uint64_t ptr, uint32_t f2stack, uint64_t f2pc, uint64_t detail) {
	uint64_t i = __atomic_fetch_add(&hdr->nerrs, 1, __ATOMIC_RELAXED);
	if (!ensure_chunk((void **)err_chunks, i / ERRS_PER_CHUNK, CH_ERRS)) {
		set_flag(HF_ERRS_FULL);
		return;
	}
	struct errrec *e = &err_chunks[i / ERRS_PER_CHUNK][i % ERRS_PER_CHUNK];
	e->ptr = ptr;
	e->tid = gettid_cached();
	if (nd) {
		e->size = nd->size;
		e->astack = nd->astack;
		e->fstack = nd->fstack;
		e->apc = nd->apc;
		e->fpc = nd->fpc;
	}
	e->f2stack = f2stack;
	e->f2pc = f2pc;
	e->detail = detail;
	__atomic_store_n(&e->kind, kind, __ATOMIC_RELEASE);
}

// A block leaving a quarantine is released without its shard's lock: its
// node is only marked ST_RECYCLED and stays in its bucket's chain. Code
// walking a chain under the lock unlinks such nodes (unlink_dead); the
// allocation that gets the same address back from glibc, the usual case,
// reuses the node (track_alloc). A recycled node is never touched by the
// thread that released it again.
static inline int dead(const struct node *nd) { return __atomic_load_n(&nd->state, __ATOMIC_ACQUIRE) == ST_RECYCLED; }

// unlink_dead unlinks the dead node *link points at (shard lock held) and
// puts it on the free list.
static inline void unlink_dead(struct shard *sh, uint32_t *link) {
	uint32_t j = *link;
	struct node *nd = node_at(j - 1);
	*link = nd->next;
	nd->next = sh->freelist;
	sh->freelist = j;
	sstats[sh - shards].evicted++;
}

// find returns the chain link that points at p's node in its shard (lock
// held), or NULL. *link is the node's index + 1. It unlinks the dead
// nodes it meets.
static inline uint32_t *find(struct shard *sh, uint64_t h, uint64_t p) {
	uint32_t *link = &sh->buckets[bucket_of(h)];
	while (*link) {
		struct node *nd = node_at(*link - 1);
		if (dead(nd)) {
			unlink_dead(sh, link);
			continue;
		}
		if (nd->ptr == p)
			return link;
		link = &nd->next;
	}
	return NULL;
}

#define POISON 0xFD

static void *anon(size_t n);

static inline uint64_t poison_len(uint64_t size) { return size < conf.poison ? size : conf.poison; }

// poison_check returns the offset of the first of p's n bytes that is not
// POISON, or n. Eight bytes at a time: blocks are 16-byte aligned.
static inline uint64_t poison_check(const uint8_t *p, uint64_t n) {
	const uint64_t w = 0x0101010101010101ull * POISON;
	uint64_t k = 0;
	for (; k + 8 <= n; k += 8) {
		uint64_t v;
		memcpy(&v, p + k, 8);
		if (UNLIKELY(v != w))
			break;
	}
	for (; k < n; k++)
		if (p[k] != POISON)
			return k;
	return n;
}

// qaccount counts d bytes into (d > 0) or out of this thread's quarantine.
// Threads publish their count to the shared qtotal in steps of qslack, not
// on every free: an atomic add per free and per eviction costs more than
// the rest of the bookkeeping. The budget is then exceeded by at most
// qslack per thread.
static inline void qaccount(int64_t d) {
	tc.qdelta += d;
	if (UNLIKELY(tc.qdelta >= qslack || tc.qdelta <= -qslack)) {
		__atomic_fetch_add(&qtotal, (uint64_t)tc.qdelta, __ATOMIC_RELAXED);
		tc.qdelta = 0;
	}
}

// qheld is the quarantined bytes as this thread sees them: exact for its
// own blocks, up to qslack per thread behind for the others'.
static inline uint64_t qheld(void) { return __atomic_load_n(&qtotal, __ATOMIC_RELAXED) + (uint64_t)tc.qdelta; }

// release_node really frees a quarantined block: checks its poison, marks
// its node dead and hands the memory to glibc. It returns its size. No
// lock: while a node is ST_FREED only its quarantine's thread changes it
// (a racing second free only reads it), and this is its last access.
static uint64_t release_node(struct qent e) {
	uint8_t *p = (uint8_t *)e.ptr;
	uint64_t pl = poison_len(e.size);
	uint64_t bad = poison_check(p, pl);
	struct node *nd = node_at(e.idx);
	if (UNLIKELY(bad < pl))
		report(E_WRITE_AFTER_FREE, nd, e.ptr, 0, 0, bad);
	// Dead before glibc may hand the address out again: an allocation
	// that gets it must find no ST_FREED node for it.
	__atomic_store_n(&nd->state, ST_RECYCLED, __ATOMIC_RELEASE);
	__libc_free(p);
	return e.size;
}

static void evict_oldest(void) {
	struct qent e = tc.ring[tc.qhead];
	tc.qhead = (tc.qhead + 1) % QCAP;
	tc.qlen--;
	qaccount(-(int64_t)release_node(e));
}

// quarantine holds node i (already marked freed and poisoned) back.
static void quarantine(uint32_t i, uint64_t ptr, uint64_t size) {
	struct qent e = {ptr, i, (uint32_t)size};
	if (UNLIKELY(tc.ring == NULL)) {
		tc.ring = anon(QCAP * sizeof(struct qent));
		if (tc.ring == NULL) {
			release_node(e);
			return;
		}
		pthread_setspecific(qkey, &tc);
	}
	while (tc.qlen > 0 && (tc.qlen >= QCAP || qheld() + size > conf.quarantine))
		evict_oldest();
	tc.ring[(tc.qhead + tc.qlen) % QCAP] = e;
	tc.qlen++;
	qaccount((int64_t)size);
	// The oldest blocks are cold by the time they leave: prefetch what
	// the next eviction touches (block, node) and, since glibc hands the
	// evicted block straight back, the bucket the next allocation takes.
	if (tc.qlen > 2) {
		const struct qent *n0 = &tc.ring[tc.qhead];
		uint64_t h = hptr(n0->ptr);
		__builtin_prefetch((char *)n0->ptr - 16, 1);
		__builtin_prefetch(&shard_of(h)->buckets[bucket_of(h)], 1);
		__builtin_prefetch(node_at(n0->idx), 1);
		const struct qent *n1 = &tc.ring[(tc.qhead + 1) % QCAP];
		__builtin_prefetch((char *)n1->ptr - 16, 1);
		__builtin_prefetch(node_at(n1->idx), 1);
	}
}

static void drain_quarantine(void *arg) {
	(void)arg;
	while (tc.qlen > 0)
		evict_oldest();
	__atomic_fetch_add(&qtotal, (uint64_t)tc.qdelta, __ATOMIC_RELAXED);
	tc.qdelta = 0;
}

// ---- sampling ----
// With a sample rate, as with runtime.MemProfileRate, the bytes between two
// tracked allocations are drawn from an exponential distribution with the
// rate as mean, so every byte has the same chance of being sampled and a
// site's counts can be scaled back (profile.go). Untracked blocks cost a
// subtraction at malloc and a look at one bucket at free.

// ln is the natural logarithm for x in (0, 1], accurate to about 1e-5:
// enough for a sampling draw, and no libm in the interposer.
static double ln(double x) {
	uint64_t b;
	memcpy(&b, &x, 8);
	int e = (int)((b >> 52) & 0x7ff) - 1023;
	b = (b & ((1ull << 52) - 1)) | (1023ull << 52); // mantissa in [1, 2)
	double m;
	memcpy(&m, &b, 8);
	double s = (m - 1) / (m + 1), s2 = s * s; // ln m = 2 atanh s, s <= 1/3
	return e * 0.6931471805599453 + 2 * s * (1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 / 9))));
}

static int64_t next_sample(void) {
	if (UNLIKELY(tc.rng == 0)) {
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		tc.rng = (((uint64_t)hi << 32) | lo) ^ ((uint64_t)gettid_cached() << 32) ^ 0x9E3779B97F4A7C15ull;
		if (tc.rng == 0)
			tc.rng = 1;
	}
	tc.rng ^= tc.rng >> 12;
	tc.rng ^= tc.rng << 25;
	tc.rng ^= tc.rng >> 27;
	double u = (double)((tc.rng * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0); // [0, 1)
	double d = -ln(1 - u) * (double)conf.sample;                                                // 1-u in (0, 1]
	return d < 1 ? 1 : d > 4e18 ? (int64_t)4e18 : (int64_t)d;
}

// sampled reports whether an allocation of n bytes is tracked.
static inline int sampled(size_t n) {
	if (LIKELY(conf.sample == 0))
		return 1;
	if (UNLIKELY(tc.rng == 0))
		tc.sample_left = next_sample();
	tc.sample_left -= (int64_t)n;
	if (LIKELY(tc.sample_left > 0))
		return 0;
	tc.sample_left = next_sample();
	return 1;
}

static void track_alloc(void *p, size_t size, int kind, uint64_t cpc) {
	if (p == NULL || !sampled(size))
		return;
	uint32_t sid = capture(cpc);
	uint64_t h = hptr((uint64_t)p);
	struct shard *sh = shard_of(h);
	struct shardstats *st = &sstats[h >> 58];
	spin_lock(&sh->lock);
	// Unlink the bucket's dead nodes; reuse the one of this address (glibc
	// often hands back a block just released from a quarantine).
	uint32_t *b = &sh->buckets[bucket_of(h)];
	uint32_t idx = 0;
	for (uint32_t *link = b; *link;) {
		uint32_t j = *link;
		struct node *x = node_at(j - 1);
		if (!dead(x)) {
			link = &x->next;
			continue;
		}
		if (idx == 0 && x->ptr == (uint64_t)p) {
			*link = x->next;
			idx = j;
			st->evicted++;
		} else {
			unlink_dead(sh, link);
		}
	}
	if (idx == 0)
		idx = new_node(sh);
	if (UNLIKELY(idx == 0)) {
		spin_unlock(&sh->lock);
		set_flag(HF_OVERFLOW);
		return;
	}
	struct node *nd = node_at(idx - 1);
	nd->ptr = (uint64_t)p;
	nd->size = size;
	nd->apc = cpc;
	nd->fpc = 0;
	nd->astack = sid;
	nd->fstack = 0;
	nd->epoch = (uint32_t)__atomic_load_n(&hdr->epoch, __ATOMIC_RELAXED);
	nd->kind = (uint8_t)kind;
	nd->tid = gettid_cached();
	nd->next = *b;
	*b = idx;
	__atomic_store_n(&nd->state, ST_LIVE, __ATOMIC_RELEASE);
	st->allocs++;
	st->alloc_bytes += size;
	spin_unlock(&sh->lock);
	profile_count(sid, 0, size);
}

// untrack handles a free of p. It returns 1 when the caller must pass p to
// __libc_free now, 0 when the block was quarantined or must not be freed.
static int untrack(void *p, uint64_t cpc, int kind) {
	uint64_t h = hptr((uint64_t)p);
	struct shard *sh = shard_of(h);
	struct shardstats *st = &sstats[h >> 58];
	// Sampled: most blocks are not in the table, and an empty bucket says
	// so without the lock. A tracked p was linked before malloc returned
	// it, which happens before this free of it.
	if (conf.sample && __atomic_load_n(&sh->buckets[bucket_of(h)], __ATOMIC_ACQUIRE) == 0)
		return 1;
	spin_lock(&sh->lock);
	uint32_t *link = find(sh, h, (uint64_t)p);
	struct node *nd = link ? node_at(*link - 1) : NULL;
	if (nd != NULL && nd->state == ST_LIVE) {
		uint32_t idx = *link;
		st->frees++;
		st->free_bytes += nd->size;
		profile_count(nd->astack, 1, nd->size);
		if (nd->size > conf.quarantine / 4 || nd->size > UINT32_MAX) {
			// Too big for the quarantine (or there is none): release
			// now. No report can show this free, so its stack is not
			// even taken.
			*link = nd->next;
			__atomic_store_n(&nd->state, ST_RECYCLED, __ATOMIC_RELEASE);
			nd->next = sh->freelist;
			sh->freelist = idx;
			spin_unlock(&sh->lock);
			return 1;
		}
		// Taken under the lock: a racing second free must find the block
		// freed, with this stack as the first free.
		nd->fstack = capture(cpc);
		nd->fpc = cpc;
		memset(p, POISON, poison_len(nd->size));
		__atomic_store_n(&nd->state, ST_FREED, __ATOMIC_RELEASE);
		st->quarantined++;
		uint64_t size = nd->size;
		spin_unlock(&sh->lock);
		// Outside the lock: evicting takes other shards' locks.
		quarantine(idx - 1, (uint64_t)p, size);
		return 0;
	}
	if (nd != NULL && nd->state == ST_FREED) {
		report(E_DOUBLE_FREE, nd, (uint64_t)p, capture(cpc), cpc, 0);
		spin_unlock(&sh->lock);
		return 0; // skip it: the program goes on and every error is reported
	}
	spin_unlock(&sh->lock);
	// Unknown pointer. From a goroutine's cgo call it is an invalid free;
	// elsewhere it may be a block allocated before the tracker started
	// (the dynamic loader, libc start-up), which glibc must still free.
	// When sampling, it is most likely a block that was not sampled.
	if (conf.sample || (hdr->flags & HF_OVERFLOW))
		return 1;
	uint32_t sid = capture(cpc);
	if (sid == 0)
		return 1;
	report(kind == K_REALLOC ? E_INVALID_REALLOC : E_INVALID_FREE, NULL, (uint64_t)p, sid, cpc, 0);
	return 0;
}

// ---- start-up ----
static int parse_u(const char *s, const char *key, uint64_t *out) {
	size_t kl = strlen(key);
	for (const char *q = s; q && *q;) {
		if (strncmp(q, key, kl) == 0 && q[kl] == '=') {
			const char *v = q + kl + 1;
			int neg = 0;
			if (*v == '-') {
				neg = 1;
				v++;
			}
			uint64_t x = 0;
			int any = 0;
			while (*v >= '0' && *v <= '9') {
				x = x * 10 + (uint64_t)(*v - '0');
				v++;
				any = 1;
			}
			if (!any)
				return 0;
			*out = neg ? (uint64_t)(-(int64_t)x) : x;
			return 1;
		}
		q = strchr(q, ',');
		if (q)
			q++;
	}
	return 0;
}

static char *utoa(char *p, uint64_t v) {
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	*p = 0;
	return p;
}

static void warn(const char *msg) {
	ssize_t r = write(2, "cgoguard tracker: ", 18);
	r = write(2, msg, strlen(msg));
	r = write(2, "\n", 1);
	(void)r;
}

static void *anon(size_t n) {
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void atfork_child(void) {
	// The child shares the parent's record mapping: stop writing to it.
	// Blocks stay real glibc blocks, so pass-through frees are fine.
	enabled = 0;
	for (int i = 0; i < NSHARDS; i++)
		shards[i].lock.v = 0;
}

__attribute__((constructor(101))) static void tracker_init(void) {
	const char *dir = getenv("CGOGUARD_DIR");
	const char *cs = getenv("CGOGUARD_CONF");
	if (dir == NULL || cs == NULL)
		return;
	uint64_t v;
#define NEED(key, field)                                     \
	if (!parse_u(cs, key, &v)) {                         \
		warn("bad CGOGUARD_CONF (missing " key "); tracking off"); \
		return;                                      \
	}                                                    \
	conf.field = v;
	NEED("dev", dev) NEED("ino", ino) NEED("entry", entry) NEED("tls", tls);
	NEED("g_stack", g_stack) NEED("g_m", g_m) NEED("g_pc", g_pc) NEED("g_bp", g_bp);
	NEED("m_g0", m_g0) NEED("m_curg", m_curg) NEED("m_incgo", m_incgo) NEED("m_extrainc", m_extrainc);
	NEED("cbk_lo", cbk_lo) NEED("cbk_hi", cbk_hi) NEED("cgc_lo", cgc_lo) NEED("cgc_hi", cgc_hi);
	NEED("quarantine", quarantine) NEED("poison", poison) NEED("depth", depth) NEED("profile", profile);
	NEED("sample", sample);
#undef NEED
	if (conf.depth == 0 || conf.depth > MAXDEPTH)
		conf.depth = MAXDEPTH;
	// Only track the binary the offsets were computed for: a child process
	// running another program inherits LD_PRELOAD but not its layout.
	struct stat sb;
	if (stat("/proc/self/exe", &sb) != 0 || (uint64_t)sb.st_dev != conf.dev || (uint64_t)sb.st_ino != conf.ino)
		return;
	qslack = (int64_t)(conf.quarantine / 64 < (64u << 10) ? conf.quarantine / 64 : (64u << 10));
	if (qslack < 1)
		qslack = 1;
	bias = getauxval(AT_ENTRY) - conf.entry;
	cbk_lo = conf.cbk_lo + bias;
	cbk_hi = conf.cbk_hi + bias;
	cbk_len = cbk_hi - cbk_lo;
	cgc_lo = conf.cgc_lo + bias;
	cgc_hi = conf.cgc_hi + bias;

	char path[4096];
	size_t dl = strlen(dir);
	if (dl > sizeof(path) - 40) {
		warn("CGOGUARD_DIR too long; tracking off");
		return;
	}
	memcpy(path, dir, dl);
	memcpy(path + dl, "/trk.", 5);
	utoa(path + dl + 5, (uint64_t)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		warn("cannot create the record file; tracking off");
		return;
	}
	struct stat fsb;
	if (fstat(fd, &fsb) != 0 || ftruncate(fd, HDR_SIZE) != 0) {
		warn("cannot size the record file; tracking off");
		return;
	}
	fd_dev = fsb.st_dev;
	fd_ino = fsb.st_ino;
	void *h = mmap(NULL, HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		warn("cannot map the record file; tracking off");
		return;
	}
	hdr = h;
	types = (uint8_t *)h + TYPES_OFF;
	sstats = (struct shardstats *)((uint8_t *)h + SHARDSTATS_OFF);
	sindex = anon(SINDEX * sizeof(uint32_t));
	if (sindex == NULL) {
		warn("out of memory; tracking off");
		return;
	}
	for (int i = 0; i < NSHARDS; i++) {
		shards[i].buckets = anon(NBUCKETS * sizeof(uint32_t));
		if (shards[i].buckets == NULL) {
			warn("out of memory; tracking off");
			return;
		}
	}
	memcpy(hdr->magic, MAGIC, 8);
	hdr->version = VERSION;
	hdr->hdr_size = HDR_SIZE;
	hdr->chunk_size = CHUNK_SIZE;
	hdr->max_chunks = MAX_CHUNKS;
	hdr->node_size = NODE_SIZE;
	hdr->err_size = ERR_SIZE;
	hdr->pid = (uint32_t)getpid();
	hdr->nshards = NSHARDS;
	hdr->bias = bias;
	hdr->quarantine = conf.quarantine;
	hdr->poison_max = conf.poison;
	hdr->sample_rate = conf.sample;
	int mfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (mfd >= 0) {
		char *dst = (char *)h + MAPS_OFF;
		size_t room = HDR_SIZE - MAPS_OFF - 1, got = 0;
		while (got < room) {
			ssize_t r = read(mfd, dst + got, room - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		close(mfd);
	}
	__atomic_store_n(&hdr->ready, 1, __ATOMIC_RELEASE);
	pthread_atfork(NULL, NULL, atfork_child);
	if (pthread_key_create(&qkey, drain_quarantine) != 0) {
		warn("no thread key; tracking off");
		return;
	}
	__atomic_store_n(&enabled, 1, __ATOMIC_RELEASE);
}

// ---- the hooks ----
#define CALLER ((uint64_t)__builtin_return_address(0))

EXPORT void *malloc(size_t n) {
	void *p = __libc_malloc(n);
	if (LIKELY(enabled))
		track_alloc(p, n, K_MALLOC, CALLER);
	return p;
}

EXPORT void free(void *p) {
	if (p == NULL)
		return;
	if (LIKELY(enabled) && !untrack(p, CALLER, K_MALLOC))
		return;
	__libc_free(p);
}

EXPORT void *calloc(size_t n, size_t sz) {
	void *p = __libc_calloc(n, sz);
	if (LIKELY(enabled))
		track_alloc(p, n * sz, K_CALLOC, CALLER);
	return p;
}

// BIG_REALLOC is the size from which realloc leaves blocks to glibc's realloc.
#define BIG_REALLOC (64u << 10)

// forget drops the record of a live block that glibc's realloc takes over.
static void forget(void *p) {
	uint64_t h = hptr((uint64_t)p);
	struct shard *sh = shard_of(h);
	struct shardstats *st = &sstats[h >> 58];
	spin_lock(&sh->lock);
	uint32_t *link = find(sh, h, (uint64_t)p);
	struct node *nd = link ? node_at(*link - 1) : NULL;
	if (nd != NULL && nd->state == ST_LIVE) {
		uint32_t idx = *link;
		*link = nd->next;
		st->frees++;
		st->free_bytes += nd->size;
		profile_count(nd->astack, 1, nd->size);
		__atomic_store_n(&nd->state, ST_RECYCLED, __ATOMIC_RELEASE);
		nd->next = sh->freelist;
		sh->freelist = idx;
	}
	spin_unlock(&sh->lock);
}

static void *do_realloc(void *old, size_t n, uint64_t cpc) {
	if (!enabled)
		return __libc_realloc(old, n);
	if (old == NULL) {
		void *p = __libc_malloc(n);
		track_alloc(p, n, K_REALLOC, cpc);
		return p;
	}
	// Look the old block up first: realloc of a freed or unknown pointer is
	// reported and refused like a bad free.
	uint64_t h = hptr((uint64_t)old);
	struct shard *sh = shard_of(h);
	spin_lock(&sh->lock);
	uint32_t *link = find(sh, h, (uint64_t)old);
	struct node *nd = link ? node_at(*link - 1) : NULL;
	uint64_t oldsize = nd ? nd->size : 0;
	int live = nd != NULL && nd->state == ST_LIVE;
	spin_unlock(&sh->lock);
	if (!live) {
		if (untrack(old, cpc, K_REALLOC)) {
			// Untracked: from before start-up, or not sampled.
			void *p = __libc_realloc(old, n);
			if (conf.sample && n != 0)
				track_alloc(p, n, K_REALLOC, cpc);
			return p;
		}
		errno = EINVAL;
		return NULL;
	}
	if (n == 0) {
		// glibc's realloc(p, 0) frees p and returns NULL.
		if (untrack(old, cpc, K_REALLOC))
			__libc_free(old);
		return NULL;
	}
	if (n <= malloc_usable_size(old) || oldsize >= BIG_REALLOC) {
		// glibc keeps the block in place, or it is large enough for glibc
		// to grow it in place or remap it: moving it through the
		// quarantine would copy it on every step, quadratic for a buffer
		// grown step by step. Forget the old record first, so that a
		// concurrent malloc handed the old address never meets it.
		forget(old);
		void *p = __libc_realloc(old, n);
		if (p == NULL) {
			track_alloc(old, oldsize, K_REALLOC, cpc); // still valid
			return NULL;
		}
		track_alloc(p, n, K_REALLOC, cpc);
		return p;
	}
	// Move, so the old block goes through the quarantine like a free.
	void *p = __libc_malloc(n);
	if (p == NULL)
		return NULL; // old block stays valid, as realloc promises
	memcpy(p, old, oldsize < n ? oldsize : n);
	track_alloc(p, n, K_REALLOC, cpc);
	if (untrack(old, cpc, K_REALLOC))
		__libc_free(old);
	return p;
}

EXPORT void *realloc(void *old, size_t n) { return do_realloc(old, n, CALLER); }

EXPORT void *reallocarray(void *old, size_t n, size_t sz) {
	size_t t;
	if (__builtin_mul_overflow(n, sz, &t)) {
		errno = ENOMEM;
		return NULL;
	}
	return do_realloc(old, t, CALLER);
}

static void *do_memalign(size_t al, size_t n, int kind, uint64_t cpc) {
	void *p = __libc_memalign(al, n);
	if (LIKELY(enabled))
		track_alloc(p, n, kind, cpc);
	return p;
}

EXPORT void *memalign(size_t al, size_t n) { return do_memalign(al, n, K_MEMALIGN, CALLER); }

EXPORT void *aligned_alloc(size_t al, size_t n) { return do_memalign(al, n, K_MEMALIGN, CALLER); }

EXPORT int posix_memalign(void **out, size_t al, size_t n) {
	if (al < sizeof(void *) || (al & (al - 1)) != 0)
		return EINVAL;
	void *p = do_memalign(al, n, K_MEMALIGN, CALLER);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t n) { return do_memalign((size_t)sysconf(_SC_PAGESIZE), n, K_VALLOC, CALLER); }

EXPORT void *pvalloc(size_t n) {
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	return do_memalign(ps, (n + ps - 1) & ~(ps - 1), K_VALLOC, CALLER);
}
