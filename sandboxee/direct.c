/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The direct try of kernel grants (docs/design.md, "Kernel grants"): under a Landlock domain
 * that holds the plan, a trapped read-only open, stat or readlink is first made by the handler
 * itself, openat with SB_KG_COOKIE, which every filter of the process lets through
 * (common/kgcookie.h), so that Landlock decides it in the kernel. On any error the call goes to
 * the broker exactly as before: its decision, errno and record are unchanged. A stat never goes
 * through directly (Landlock does not check stat): it is an open of the file, fstat, close. A
 * readlink is an open that does not follow the name: if it succeeds, the name is no symlink and
 * the answer is EINVAL, which the broker would give (a symlink fails the open: the broker reads
 * it). An access with F_OK or R_OK is the open alone. A name with ".." is the broker's, and so is a
 * relative one unless the directory it starts from is one the kernel lets the program list
 * (decode(), listed_base()). And newfstatat(fd, "", AT_EMPTY_PATH), the C library's fstat, is
 * fstat(fd): the broker answers it so, without a check, for the fd the caller holds. Signal
 * context: raw syscalls and static memory written before the filter was armed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "kgcookie.h"
#include "landlock.h"
#include "raw.h"

bool sb_kg_on;
/*
 * The hint (landlock.h), written once by sb_kg_set before arming: the prefixes and the known
 * directories, each ':'-separated, and whether every grant that lists also reads.
 */
static char sb_kg_paths_buf[SB_KG_PATHS_MAX];
static char sb_kg_dirs_buf[SB_KG_PATHS_MAX];
static bool sb_kg_list_reads;
/*
 * "!DEV.INO": the files Landlock lets the program read only because the policy lets it execute
 * them (the exec plan); a try that lands on one is the broker's. "+e": all of them are here.
 */
static struct {
	uint64_t dev, ino;
} sb_kg_exec[SB_KG_EXEC_MAX];
static size_t sb_kg_nexec;

/* "!DEV.INO" (hex, k bytes) into the exec files; false if malformed or past the bound. */
static bool put_exec(const char *e, size_t k)
{
	uint64_t v[2] = { 0, 0 };
	size_t part = 0, digits = 0;
	for (size_t i = 1; i < k; i++) {
		char c = e[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (c == '.' && part == 0 && digits) {
			part = 1;
			digits = 0;
			continue;
		}
		if (d < 0 || ++digits > 16)
			return false;
		v[part] = v[part] << 4 | (uint64_t)d;
	}
	if (part != 1 || !digits || sb_kg_nexec >= SB_KG_EXEC_MAX)
		return false;
	sb_kg_exec[sb_kg_nexec].dev = v[0];
	sb_kg_exec[sb_kg_nexec++].ino = v[1];
	return true;
}
/* "+k": the kernel's refusals are recorded, so no try that may be refused needlessly. */
static bool sb_kg_records;

/*
 * Appends the entry e of length n to buf (SB_KG_PATHS_MAX bytes, used bytes *o), ':'-separated;
 * one that does not fit is left out (a path not tried, a readlink brokered).
 */
static void put_entry(char *buf, size_t *o, const char *e, size_t n)
{
	if (*o + n + 2 > SB_KG_PATHS_MAX)
		return;
	if (*o)
		buf[(*o)++] = ':';
	sb_memcpy(buf + *o, e, n);
	*o += n;
	buf[*o] = 0;
}

/* The length of the hint entry at e (up to the next ':' or the end). */
static size_t entry_len(const char *e)
{
	size_t n = 0;
	while (e[n] && e[n] != ':')
		n++;
	return n;
}

/* The entry after the one of length n at e. */
static const char *entry_next(const char *e, size_t n)
{
	return e[n] == ':' ? e + n + 1 : e + n;
}

/* A "+X" flag of the hint. */
static void set_flag(char f, bool *exec_known)
{
	switch (f) {
	case 'r':
		sb_kg_list_reads = true;
		break;
	case 'k':
		sb_kg_records = true;
		break;
	case 'e':
		*exec_known = true;
		break;
	}
}

void sb_kg_set(const char *hint)
{
	size_t np = 0, nd = 0, n = hint ? sb_strnlen(hint, SB_KG_HINT_MAX) : 0;
	if (n == 0 || n >= SB_KG_HINT_MAX)
		return;
	sb_kg_paths_buf[0] = sb_kg_dirs_buf[0] = 0;
	sb_kg_list_reads = sb_kg_records = false;
	sb_kg_nexec = 0;
	bool exec_known = false, exec_bad = false;
	for (const char *e = hint; *e;) {
		size_t k = entry_len(e);
		if (e[0] == '/')
			put_entry(sb_kg_paths_buf, &np, e, k);
		else if (e[0] == '=' && k > 1)
			put_entry(sb_kg_dirs_buf, &nd, e + 1, k - 1);
		else if (e[0] == '+' && k == 2)
			set_flag(e[1], &exec_known);
		else if (e[0] == '!' && !put_exec(e, k))
			exec_bad = true;
		e = entry_next(e, k);
	}
	/* Without every exec file, a try could answer a read the broker refuses: none then. */
	sb_kg_on = np > 0 && exec_known && !exec_bad;
}

/* Whether the file st describes is one of the exec plan's. */
static bool exec_listed(const struct stat *st)
{
	for (size_t i = 0; i < sb_kg_nexec; i++)
		if (sb_kg_exec[i].dev == (uint64_t)st->st_dev && sb_kg_exec[i].ino == st->st_ino)
			return true;
	return false;
}

/* Whether the file fd names is one of the exec plan's (or cannot be told). */
static bool exec_only(long fd)
{
	struct stat st;
	if (sb_kg_nexec == 0)
		return false;
	if (raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) < 0)
		return true;
	return exec_listed(&st);
}

/* Whether path is one of the known directories, exactly. */
static bool known_dir(const char *path)
{
	for (const char *e = sb_kg_dirs_buf; *e;) {
		size_t n = entry_len(e), k = 0;
		while (k < n && e[k] == path[k])
			k++;
		if (k == n && !path[k])
			return true;
		e = entry_next(e, n);
	}
	return false;
}

/*
 * Whether path lies under one of the prefixes: a tree "P/" holds P and P/...; else P alone. The
 * entries are sorted: the first one greater than the path ends the search.
 */
static bool under_plan(const char *path)
{
	const char *e = sb_kg_paths_buf;
	while (*e) {
		size_t n = entry_len(e);
		bool tree = n > 0 && e[n - 1] == '/';
		size_t k = 0;
		while (k < n && path[k] && path[k] == e[k])
			k++;
		if (k == n && (tree || path[k] == 0))
			return true;
		if (tree && k == n - 1 && path[k] == 0)
			return true; /* the tree's root itself */
		/*
		 * Sorted (sb_kg_paths): past the path, no entry can be a prefix of it. Entries the
		 * path is a prefix of (a tree's root "P" before "P/") sort after it: go on there.
		 */
		if (k < n && path[k] && (unsigned char)e[k] > (unsigned char)path[k])
			return false;
		e = entry_next(e, n);
	}
	return false;
}

/* Whether path has a ".." component. */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; *p; p++)
		if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') &&
		    (p[2] == 0 || p[2] == '/'))
			return true;
	return false;
}

enum kind { OPEN, STAT, FSTAT, READLINK, KNOWN_DIR, ACCESS };

/* A call the try may serve: where it names, the open that proves access, where the answer goes. */
struct
try {
	enum kind kind;
	long dirfd;
	const char *path;
	long flags;
	uint64_t buf;
};

#define SB_KG_STAT_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* newfstatat: by path as stat and lstat, or (AT_EMPTY_PATH, "" or NULL) the caller's own fd. */
static bool decode_fstatat(const uint64_t a[6], struct try *t)
{
	const uint64_t empty = AT_EMPTY_PATH, nofollow = AT_SYMLINK_NOFOLLOW;
	t->dirfd = (long)a[0];
	t->path = (const char *)(uintptr_t)a[1];
	t->buf = a[2];
	if ((a[3] & empty) && t->path && !t->path[0]) {
		/*
		 * The fd the caller holds: the broker stats it without a check, and fstat is the
		 * runtime's own call in every filter. AT_FDCWD (the cwd) is the broker's, and so is
		 * a NULL path (the broker answers EFAULT, where Linux 6.11 stats the fd).
		 */
		t->kind = FSTAT;
		return (a[3] & ~(empty | nofollow | (uint64_t)AT_NO_AUTOMOUNT)) == 0 &&
		       (int)a[0] >= 0;
	}
	/* AT_NO_AUTOMOUNT and the rest: the broker's (an open would trigger the automount). */
	if (a[3] & ~nofollow)
		return false;
	t->kind = STAT;
	t->flags = SB_KG_STAT_FLAGS | (a[3] ? O_NOFOLLOW : 0);
	return true;
}

/* readlink of a name that is no symlink: EINVAL, once the open proves "stat" on it. */
static bool decode_readlink(long dirfd, uint64_t path, uint64_t size, struct try *t)
{
	t->kind = READLINK;
	t->dirfd = dirfd;
	t->path = (const char *)(uintptr_t)path;
	t->flags = SB_KG_STAT_FLAGS | O_NOFOLLOW;
	return (int)size > 0;
}

/*
 * access with F_OK or R_OK: an open for reading that succeeds proves what the broker checks
 * ("stat", and "read" or "list") and what its faccessat2 then asks with the caller's identity;
 * W_OK and X_OK are the broker's.
 */
static bool decode_access(long dirfd, uint64_t path, uint64_t mode, uint64_t flags, struct try *t)
{
	t->kind = ACCESS;
	t->dirfd = dirfd;
	t->path = (const char *)(uintptr_t)path;
	t->flags = SB_KG_STAT_FLAGS | (flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0);
	return ((uint32_t)mode & ~(uint32_t)R_OK) == 0 &&
	       (flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW)) == 0;
}

/* The call's arguments, if it is one the try may serve (sb_kg_direct_calls, no other). */
static bool decode(long nr, const uint64_t a[6], struct try *t)
{
	*t = (struct try){ .kind = OPEN, .dirfd = AT_FDCWD };
	if (!sb_kg_direct_call(nr))
		return false;
	switch (nr) {
	case SYS_openat:
		t->dirfd = (long)a[0];
		t->path = (const char *)(uintptr_t)a[1];
		t->flags = (long)(int)a[2];
		break;
#ifdef SYS_open
	case SYS_open:
		t->path = (const char *)(uintptr_t)a[0];
		t->flags = (long)(int)a[1];
		break;
	case SYS_stat:
	case SYS_lstat:
		t->kind = STAT;
		t->path = (const char *)(uintptr_t)a[0];
		t->buf = a[1];
		t->flags = SB_KG_STAT_FLAGS | (nr == SYS_lstat ? O_NOFOLLOW : 0);
		break;
	case SYS_readlink:
		if (!decode_readlink(AT_FDCWD, a[0], a[2], t))
			return false;
		break;
	case SYS_access:
		if (!decode_access(AT_FDCWD, a[0], a[1], 0, t))
			return false;
		break;
#endif
	case SYS_faccessat:
#ifdef SYS_faccessat2
	case SYS_faccessat2:
#endif
		if (!decode_access((long)a[0], a[1], a[2], nr == SYS_faccessat ? 0 : a[3], t))
			return false;
		break;
	case SYS_readlinkat:
		if (!decode_readlink((long)a[0], a[1], a[3], t))
			return false;
		break;
	case SYS_newfstatat:
		if (!decode_fstatat(a, t))
			return false;
		if (t->kind == FSTAT)
			return true;
		break;
	default:
		return false;
	}
	/* What the filters let through: read-only, no create, truncate, append or O_PATH. */
	if ((t->flags & SB_KG_FLAGS_MASK) != O_RDONLY || !t->path || !t->path[0])
		return false;
	/* readlink "name/" follows a symlink the name is: the broker's. */
	if (t->kind == READLINK && t->path[sb_strnlen(t->path, PATH_MAX) - 1] == '/')
		return false;
	if (t->kind == READLINK && known_dir(t->path)) {
		t->kind = KNOWN_DIR;
		return true;
	}
	/*
	 * ".." may climb out of a grant into /proc, where the kernel follows the magic links (exe,
	 * root, cwd, fd/N) to a granted file the broker never follows (ELOOP, or EACCES and a
	 * record for its own /proc): the broker's. An absolute name outside every grant would only
	 * be refused. A relative name is tried from a directory the kernel lets the program list
	 * only (listed_base(): never /proc, where "exe" or "root/..." would be such a link), and
	 * not while the kernel's refusals are recorded (each refused try would leave a record).
	 */
	if (has_dotdot(t->path))
		return false;
	return t->path[0] == '/' ? under_plan(t->path) : !sb_kg_records;
}

/*
 * One component of a path missing in a directory the kernel lets the program list. Such a
 * directory lies in a grant that lists, where the policy allows stat on every name (future ones
 * too) and, with sb_kg_list_reads, read: so the broker would answer ENOENT as well, without a
 * record. The path is cut at its last component, then (that parent missing too) at the one
 * before, at most SB_KG_UP times; each cut opens the parent with the cookie and looks the
 * component up in it without following it (a dangling symlink is the broker's).
 */
#define SB_KG_UP 4
static bool missing(long dirfd, const char *path)
{
	char b[PATH_MAX];
	size_t n = sb_strnlen(path, PATH_MAX);
	if (n == 0 || n >= PATH_MAX || path[n - 1] == '/')
		return false;
	sb_memcpy(b, path, n + 1);
	for (int up = 0; up < SB_KG_UP; up++) {
		size_t k = n, p;
		while (k > 0 && b[k - 1] != '/')
			k--;
		/* b is path cut short at n: its component [k, n) is path's. */
		const char *leaf = b + k;
		if (path[k] == '.' && (n - k == 1 || (n - k == 2 && path[k + 1] == '.')))
			return false;
		/* The parent: "." for a single name, "/" for one at the root, else without slashes.
		 */
		for (p = k; p > 1 && b[p - 1] == '/';)
			p--;
		char keep = b[p], dot[2] = ".";
		b[p] = 0;
		const char *parent = k == 0 ? dot : p == 0 ? "/" : b;
		/*
		 * While the kernel records its refusals, only a parent Landlock lets the program
		 * open: a refused one would leave a record of a denial the broker does not make (it
		 * answers ENOENT). The hint then holds only trees that read and list (sb_kg_paths),
		 * so a directory under its prefixes is one.
		 */
		if (sb_kg_records && (parent[0] != '/' || !under_plan(parent))) {
			b[p] = keep;
			return false;
		}
		long pfd = raw(SYS_openat, dirfd, (long)parent,
			       O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC, (long)SB_KG_COOKIE,
			       0, 0);
		b[p] = keep;
		if (pfd >= 0) {
			/* Only ENOENT counts: a file there is not opened (POSIX locks, FIFOs). */
			long r = raw(SYS_openat, pfd, (long)leaf,
				     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
					     O_DIRECTORY,
				     (long)SB_KG_COOKIE, 0, 0);
			if (r >= 0)
				raw(SYS_close, r, 0, 0, 0, 0, 0);
			raw(SYS_close, pfd, 0, 0, 0, 0, 0);
			return r == -ENOENT;
		}
		if (pfd != -ENOENT || k == 0)
			return false;
		n = p;
		b[n] = 0;
	}
	return false;
}

/*
 * Whether the directory a relative name starts from (dirfd, or the cwd) is one the kernel lets
 * the program list: beneath a grant, so not in /proc, whose magic links the kernel would follow
 * where the broker never does. And not removed: the kernel still resolves names in a deleted
 * directory (nothing is there, "." stats) and Landlock still finds the grant above it, but the
 * broker has no path to decide on and answers by the default.
 */
static bool listed_base(long dirfd)
{
	struct stat st;
	long fd = raw(SYS_openat, dirfd, (long)".", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC,
		      (long)SB_KG_COOKIE, 0, 0);
	if (fd < 0)
		return false;
	long r = raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0);
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	return r == 0 && st.st_nlink > 0;
}

bool sb_kg_recording(void)
{
	return sb_kg_records;
}

/*
 * POSIX record locks (sb_kg_no_files()): once the program may hold one, a try opens directories
 * only, so that no close of a try's fd drops a lock of the program's.
 *  - A try that had opened a file before the flag went up keeps it open instead of closing it
 *    (release()): at most SB_KG_PARKED such fds, each O_CLOEXEC, so they go at the next exec.
 *  - The first lock waits, for a few milliseconds at most, until no try of another thread that
 *    may close a file is under way (sb_kg_busy, less this thread's own, sb_kg_mine: a signal
 *    handler's lock may interrupt its own thread's try). Only tries that never block are
 *    counted (an open the program asked for may wait for a FIFO's writer), and the wait has a
 *    bound: a count a fork copied, or one a siglongjmp out of a try left behind, never comes
 *    down. Later locks do not wait.
 * What is left: a first lock taken on the same file in the few instructions between a try's last
 * look at the flag and its close, by a signal handler of that thread or, after the bound, by
 * another thread (docs/threat-model.md).
 */
#define SB_KG_PARKED 64
#define SB_KG_WAIT_SPINS 100000L /* a few milliseconds of pauses */
static bool sb_kg_dirs_only;
static int sb_kg_busy;
static int sb_kg_nparked;
static __thread int sb_kg_mine __attribute__((tls_model("initial-exec")));

void sb_kg_no_files(void)
{
	if (__atomic_load_n(&sb_kg_dirs_only, __ATOMIC_SEQ_CST))
		return;
	if (__atomic_exchange_n(&sb_kg_dirs_only, true, __ATOMIC_SEQ_CST))
		return;
	/* Either a try sees the flag, or this sees the try (both sequentially consistent). */
	for (long i = 0;
	     i < SB_KG_WAIT_SPINS && __atomic_load_n(&sb_kg_busy, __ATOMIC_SEQ_CST) > sb_kg_mine;
	     i++)
		sb_cpu_relax();
}

/* The end of a try's fd that may be a file (opened while files were tried): kept once locks may be
 * held. */
static void release(long fd, bool files)
{
	if (!files) {
		raw(SYS_close, fd, 0, 0, 0, 0, 0);
		return;
	}
	if (!__atomic_load_n(&sb_kg_dirs_only, __ATOMIC_SEQ_CST) ||
	    __atomic_fetch_add(&sb_kg_nparked, 1, __ATOMIC_SEQ_CST) >= SB_KG_PARKED)
		raw(SYS_close, fd, 0, 0, 0, 0, 0);
}

static bool try_one(struct try *t, bool files, long *ret);

bool sb_kg_try(long nr, const uint64_t args[6], long *ret)
{
	struct try t;

	if (!sb_kg_on || !decode(nr, args, &t))
		return false;
	bool counted = t.kind != OPEN, answered = false;
	if (counted) {
		sb_kg_mine++;
		__atomic_add_fetch(&sb_kg_busy, 1, __ATOMIC_SEQ_CST);
	}
	bool files = !__atomic_load_n(&sb_kg_dirs_only, __ATOMIC_SEQ_CST);
	if (files) {
		answered = try_one(&t, true, ret);
	} else if (t.kind != OPEN || (t.flags & O_DIRECTORY)) {
		/* A directory only: what an open the caller asked for gives must not change. */
		t.flags |= O_DIRECTORY;
		answered = try_one(&t, false, ret);
	}
	if (counted) {
		__atomic_sub_fetch(&sb_kg_busy, 1, __ATOMIC_SEQ_CST);
		sb_kg_mine--;
	}
	return answered;
}

static bool try_one(struct try *tp, bool files, long *ret)
{
	struct try t = *tp;

	if (t.kind == FSTAT) {
		/* A closed fd, a buffer the kernel could not write: the broker's answer. */
		*ret = raw(SYS_fstat, t.dirfd, (long)t.buf, 0, 0, 0, 0);
		return *ret == 0;
	}
	if (t.kind == KNOWN_DIR) {
		*ret = -EINVAL;
		return true;
	}
	if (t.path[0] != '/' && !listed_base(t.dirfd))
		return false;
	/*
	 * While the kernel records its refusals, a symlink is the broker's: followed out of the
	 * plan, the try would leave a kernel record beside the broker's own of one refusal (a
	 * directory symlink on the way still does: docs/threat-model.md).
	 */
	long flags = t.flags | (sb_kg_records ? O_NOFOLLOW : 0);
	long fd = raw(SYS_openat, t.dirfd, (long)t.path, flags, (long)SB_KG_COOKIE, 0, 0);
	if (fd == -ENOENT && (t.kind != OPEN || sb_kg_list_reads) && missing(t.dirfd, t.path)) {
		*ret = -ENOENT;
		return true;
	}
	/*
	 * A blocking open (a FIFO without a writer) that a signal interrupted: Landlock allowed it
	 * (it checks before the open waits), and the program's handler has run. EINTR is the
	 * answer, as natively; going on to the broker instead would wait again, in the SIGSYS
	 * handler with every signal blocked. Only an open blocks: the other kinds open O_NONBLOCK.
	 */
	if (fd == -EINTR && t.kind == OPEN) {
		*ret = -EINTR;
		return true;
	}
	if (fd < 0)
		return false;
	if (t.kind == STAT) {
		/*
		 * One fstat for both the exec plan's check and the answer, which reaches the
		 * caller's buffer only once the check passed. The kernel's struct stat is the C
		 * library's here (x86_64, aarch64): the layout exec_only() reads too. A NULL buffer
		 * is the broker's (EFAULT); a bad one faults in the copy, as the handler's copy of
		 * the broker's answer to the same call would (call.c).
		 */
		struct stat st;
		long r = t.buf ? raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) : -EFAULT;
		release(fd, files && !(r == 0 && S_ISDIR(st.st_mode)));
		if (r < 0 || exec_listed(&st))
			return false;
		sb_memcpy((void *)(uintptr_t)t.buf, &st, sizeof(st));
		*ret = 0;
		return true;
	}
	if (exec_only(fd)) {
		/* Readable by the kernel only to be executed: the broker decides. */
		release(fd, files);
		return false;
	}
	if (t.kind == OPEN) {
		*ret = fd;
		return true;
	}
	release(fd, files);
	*ret = t.kind == READLINK ? -EINVAL : 0; /* else ACCESS */
	return true;
}
