/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel grants' direct try without the trap (docs/design.md, "Kernel grants"): the C
 * library's stat, lstat, fstatat, fstat, access, faccessat, readlink and readlinkat, and realpath
 * (whose readlink calls are the C library's own, which no wrapper sees), as the preloaded runtime
 * exports them. Each builds the syscall the C library would make and hands it
 * to sb_kg_try() (direct.c), the same try the SIGSYS handler makes for a trapped call: when it
 * answers, the call is done without the trap, the signal frame and the sigreturn; when it does
 * not, the C library's own function runs, its syscall traps, and the handler and the broker
 * decide as before. So the answer is always the one the handler would give; only the trap is
 * saved. A try that does not answer is made twice (here, then in the handler): that costs a
 * call the broker decides about one more open, and only for a name under a kernel grant.
 *
 * These functions replace the C library's for the whole program: they run in any thread, in
 * signal handlers, between fork and exec, before and after the filter is armed. They use raw
 * syscalls and the hint written before arming (sb_kg_on is false until then), touch errno only
 * to report a failure as the C library would, and call the real function looked up once by
 * fastpath_init() (in the constructor, never in signal context; a call before it, from
 * another library's constructor, looks it up then, as the mask wrappers in preload.c do).
 * Opens are here too (open, openat, their 64 names and the fortified __open_2 kind), for reading
 * only: the C library's fopen and opendir open by calls of their own, which still trap. And
 * fcntl, fcntl64, lockf and lockf64, to see the program take a POSIX record lock (at the end). open
 * is a cancellation point: a pending cancellation is acted on first, as the C library does; one
 * that arrives while the open blocks (a FIFO without a writer) waits for the next cancellation
 * point, as it does in the SIGSYS handler, which runs with every signal blocked.
 */
/*
 * The build asks for 64-bit file offsets, which makes the headers name stat "stat64": this file
 * defines both names itself, so it takes the headers as they are.
 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/lib-names.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"

#define EXPORT __attribute__((visibility("default")))

/*
 * The functions behind these, in the C library, which run when the try does not answer; each
 * name forwards to the same name, so that a program calling stat64 gets what stat64 would do.
 */
enum {
	STAT,
	STAT64,
	LSTAT,
	LSTAT64,
	FSTATAT,
	FSTATAT64,
	FSTAT,
	FSTAT64,
	ACCESS,
	FACCESSAT,
	READLINK,
	READLINKAT,
	REALPATH,
	REALPATH_CHK,
	CANONICALIZE,
	OPEN,
	OPEN64,
	OPENAT,
	OPENAT64,
	OPEN_2,
	OPEN64_2,
	OPENAT_2,
	OPENAT64_2,
	/* Not tried, only watched for POSIX locks: no part of next_is_libc. */
	FCNTL,
	FCNTL64,
	LOCKF,
	LOCKF64,
	NREAL
};
static const char *const real_names[NREAL] = {
	"stat",       "stat64",     "lstat",        "lstat64",        "fstatat",
	"fstatat64",  "fstat",      "fstat64",      "access",         "faccessat",
	"readlink",   "readlinkat", "realpath",     "__realpath_chk", "canonicalize_file_name",
	"open",       "open64",     "openat",       "openat64",       "__open_2",
	"__open64_2", "__openat_2", "__openat64_2", "fcntl",          "fcntl64",
	"lockf",      "lockf64",
};
static void *real[NREAL];
/*
 * Whether every one of them tried here (all before FCNTL) is the C library's own. Another
 * preloaded library that wraps one (fakeroot's stat, say) comes after this one in LD_PRELOAD,
 * and a try answered here would skip it: then nothing is tried here, and the handler's try comes
 * behind that library, as before.
 */
static bool next_is_libc;

/*
 * Each name looked up next after this library, and compared with the C library's own: a lookup in
 * its handle, not dladdr, which would scan the C library's whole symbol table for each name at
 * every process start.
 */
static void resolve(void)
{
	void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
	bool own = libc != NULL;
	for (int i = 0; i < NREAL; i++) {
		real[i] = dlsym(RTLD_NEXT, real_names[i]);
		own = own && (i >= FCNTL || (real[i] && dlsym(libc, real_names[i]) == real[i]));
	}
	if (libc)
		dlclose(libc); /* only the reference taken here: the C library stays */
	next_is_libc = own;
}

__attribute__((constructor(101))) static void fastpath_init(void)
{
	int saved_errno = errno;
	resolve();
	errno = saved_errno;
}

/*
 * The real function i into *fnp (a function pointer of its type): looked up now if the
 * constructor has not run yet; false (ENOSYS) only if the C library lacks it.
 */
static bool have(int i, void *fnp)
{
	if (!real[i])
		resolve();
	memcpy(fnp, &real[i], sizeof(real[i]));
	if (!real[i])
		errno = ENOSYS;
	return real[i] != NULL;
}

/* Whether to try here: kernel grants are on, and nothing but the C library comes after. */
static bool tryable(void)
{
	/*
	 * While the kernel records its refusals, a try the fast path makes and the handler then
	 * makes again would leave two records of one refusal: the handler alone tries then.
	 */
	return sb_kg_on && next_is_libc && !sb_kg_recording();
}

/*
 * sb_kg_try() for call nr, when tryable(): true with *ret if it answered. Its raw syscalls set
 * errno on the way (a failed open: ELOOP for a symlink, ENXIO for a socket), which the C
 * library's call never shows on success: errno is kept, and set by answer() alone.
 */
static bool try(long nr, const uint64_t a[6], long *ret)
{
	int saved_errno = errno;
	bool answered = tryable() && sb_kg_try(nr, a, ret);
	errno = saved_errno;
	return answered;
}

/* The try's answer as the C library reports it: -1 and errno, or the value. */
static long answer(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* newfstatat(dirfd, path, buf, flags) through the try; false: not answered. */
static bool try_fstatat(int dirfd, const char *path, void *buf, int flags, long *ret)
{
	const uint64_t a[6] = { (uint64_t)(int64_t)dirfd, (uintptr_t)path, (uintptr_t)buf,
				(uint64_t)(uint32_t)flags };
	return try(SYS_newfstatat, a, ret);
}

typedef int (*stat_fn)(const char *, void *);
typedef int (*fstatat_fn)(int, const char *, void *, int);
typedef int (*fstat_fn)(int, void *);

/* stat, stat64, lstat, lstat64: struct stat64 is struct stat on the 64-bit architectures. */
_Static_assert(sizeof(struct stat64) == sizeof(struct stat), "struct stat64 is struct stat");

static int by_name(int i, const char *path, void *buf, int flags)
{
	long r;
	stat_fn f;
	if (try_fstatat(AT_FDCWD, path, buf, flags, &r))
		return (int)answer(r);
	return have(i, &f) ? f(path, buf) : -1;
}

static int at(int i, int dirfd, const char *path, void *buf, int flags)
{
	long r;
	fstatat_fn f;
	if (try_fstatat(dirfd, path, buf, flags, &r))
		return (int)answer(r);
	return have(i, &f) ? f(dirfd, path, buf, flags) : -1;
}

static int of_fd(int i, int fd, void *buf)
{
	long r;
	fstat_fn f;
	if (try_fstatat(fd, "", buf, AT_EMPTY_PATH, &r))
		return (int)answer(r);
	return have(i, &f) ? f(fd, buf) : -1;
}

EXPORT int stat(const char *path, struct stat *buf)
{
	return by_name(STAT, path, buf, 0);
}

EXPORT int stat64(const char *path, struct stat64 *buf)
{
	return by_name(STAT64, path, buf, 0);
}

EXPORT int lstat(const char *path, struct stat *buf)
{
	return by_name(LSTAT, path, buf, AT_SYMLINK_NOFOLLOW);
}

EXPORT int lstat64(const char *path, struct stat64 *buf)
{
	return by_name(LSTAT64, path, buf, AT_SYMLINK_NOFOLLOW);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *buf, int flags)
{
	return at(FSTATAT, dirfd, path, buf, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *buf, int flags)
{
	return at(FSTATAT64, dirfd, path, buf, flags);
}

EXPORT int fstat(int fd, struct stat *buf)
{
	return of_fd(FSTAT, fd, buf);
}

EXPORT int fstat64(int fd, struct stat64 *buf)
{
	return of_fd(FSTAT64, fd, buf);
}

EXPORT int access(const char *path, int mode)
{
	long r;
	int (*f)(const char *, int);
#ifdef SYS_access
	const uint64_t a[6] = { (uintptr_t)path, (uint64_t)(uint32_t)mode };
	const long nr = SYS_access;
#else
	const uint64_t a[6] = { (uint64_t)(int64_t)AT_FDCWD, (uintptr_t)path,
				(uint64_t)(uint32_t)mode };
	const long nr = SYS_faccessat;
#endif
	if (try(nr, a, &r))
		return (int)answer(r);
	return have(ACCESS, &f) ? f(path, mode) : -1;
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	long r;
	int (*f)(int, const char *, int, int);
	const uint64_t a[6] = { (uint64_t)(int64_t)dirfd, (uintptr_t)path, (uint64_t)(uint32_t)mode,
				(uint64_t)(uint32_t)flags };
	if (try(SYS_faccessat2, a, &r))
		return (int)answer(r);
	return have(FACCESSAT, &f) ? f(dirfd, path, mode, flags) : -1;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	long r;
	ssize_t (*f)(const char *, char *, size_t);
#ifdef SYS_readlink
	const uint64_t a[6] = { (uintptr_t)path, (uintptr_t)buf, size };
	const long nr = SYS_readlink;
#else
	const uint64_t a[6] = { (uint64_t)(int64_t)AT_FDCWD, (uintptr_t)path, (uintptr_t)buf,
				size };
	const long nr = SYS_readlinkat;
#endif
	if (try(nr, a, &r))
		return answer(r);
	return have(READLINK, &f) ? f(path, buf, size) : -1;
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	long r;
	ssize_t (*f)(int, const char *, char *, size_t);
	const uint64_t a[6] = { (uint64_t)(int64_t)dirfd, (uintptr_t)path, (uintptr_t)buf, size };
	if (try(SYS_readlinkat, a, &r))
		return answer(r);
	return have(READLINKAT, &f) ? f(dirfd, path, buf, size) : -1;
}

/*
 * realpath of a name the try answers for prefix by prefix: absolute, shorter than PATH_MAX, with
 * no empty, "." or ".." component (no "//", no trailing "/"). The C library resolves such a name
 * by a readlink of each prefix in turn: it goes on past one that answers EINVAL (no symlink), and
 * fails at one that answers ENOENT, leaving errno so and (into a buffer it was given) the name up
 * to that prefix. When the try answers every prefix so, its answer is the C library's: PLAIN, the
 * name itself with errno EINVAL, or MISSING at the prefix of length *at. Anything else (a
 * symlink, a prefix the try does not answer): OTHER, and the C library's realpath resolves the
 * name from the start, its readlinks trapping as before.
 */
enum resolved { OTHER, PLAIN, MISSING };
static enum resolved resolve_name(const char *name, size_t *at)
{
	char b[PATH_MAX], lb[1];
	long r;

	if (!tryable() || !name || name[0] != '/')
		return OTHER;
	size_t n = strnlen(name, PATH_MAX);
	if (n >= PATH_MAX)
		return OTHER;
	memcpy(b, name, n + 1);
	for (size_t i = 1, start = 1; i <= n; i++) {
		if (i < n && name[i] != '/')
			continue;
		size_t len = i - start;
		if (len == 0 ||
		    (name[start] == '.' && (len == 1 || (len == 2 && name[start + 1] == '.'))))
			return OTHER;
		b[i] = 0;
#ifdef SYS_readlink
		const uint64_t a[6] = { (uintptr_t)b, (uintptr_t)lb, sizeof(lb) };
		const long nr = SYS_readlink;
#else
		const uint64_t a[6] = { (uint64_t)(int64_t)AT_FDCWD, (uintptr_t)b, (uintptr_t)lb,
					sizeof(lb) };
		const long nr = SYS_readlinkat;
#endif
		if (!try(nr, a, &r) || (r != -EINVAL && r != -ENOENT))
			return OTHER;
		if (r == -ENOENT) {
			*at = i;
			return MISSING;
		}
		b[i] = name[i];
		start = i + 1;
	}
	return PLAIN;
}

/*
 * The C library's answer for a name resolve_name() answered (not OTHER): the name, or NULL with
 * ENOENT and the name's first at bytes in resolved (if given).
 */
static char *resolved_answer(enum resolved how, const char *name, size_t at, char *resolved)
{
	if (how == MISSING) {
		if (resolved) {
			memcpy(resolved, name, at);
			resolved[at] = 0;
		}
		errno = ENOENT;
		return NULL;
	}
	char *r = resolved ? strcpy(resolved, name) : strdup(name);
	if (r)
		errno = EINVAL; /* the last of the C library's readlink calls */
	return r;
}

EXPORT char *realpath(const char *name, char *resolved)
{
	char *(*f)(const char *, char *);
	size_t at = 0;
	enum resolved how = resolve_name(name, &at);
	if (how != OTHER)
		return resolved_answer(how, name, at, resolved);
	return have(REALPATH, &f) ? f(name, resolved) : NULL;
}

/* The fortified realpath: a buffer shorter than PATH_MAX is the C library's to refuse. */
char *__realpath_chk(const char *name, char *resolved, size_t resolvedlen);

EXPORT char *__realpath_chk(const char *name, char *resolved, size_t resolvedlen)
{
	char *(*f)(const char *, char *, size_t);
	size_t at = 0;
	enum resolved how = resolvedlen >= PATH_MAX ? resolve_name(name, &at) : OTHER;
	if (how != OTHER)
		return resolved_answer(how, name, at, resolved);
	return have(REALPATH_CHK, &f) ? f(name, resolved, resolvedlen) : NULL;
}

EXPORT char *canonicalize_file_name(const char *name)
{
	char *(*f)(const char *);
	size_t at = 0;
	enum resolved how = resolve_name(name, &at);
	if (how != OTHER)
		return resolved_answer(how, name, at, NULL);
	return have(CANONICALIZE, &f) ? f(name) : NULL;
}

/*
 * openat(dirfd, path, flags) through the try, for flags that need no mode (no O_CREAT or
 * O_TMPFILE; the try itself takes only read-only opens without O_TRUNC, O_APPEND or O_PATH).
 * On x86_64 and arm64 open and open64 are the same openat syscall, flags as given.
 */
static bool try_open(int dirfd, const char *path, int flags, long *ret)
{
	if (__OPEN_NEEDS_MODE(flags) || !tryable())
		return false;
	pthread_testcancel();
	const uint64_t a[6] = { (uint64_t)(int64_t)dirfd, (uintptr_t)path,
				(uint64_t)(uint32_t)flags };
	return try(SYS_openat, a, ret);
}

/* The mode argument into mode, where the flags say there is one (as the C library reads it). */
#define GET_MODE(flags, mode)                                                                      \
	do {                                                                                       \
		if (__OPEN_NEEDS_MODE(flags)) {                                                    \
			va_list ap_;                                                               \
			va_start(ap_, flags);                                                      \
			(mode) = va_arg(ap_, int);                                                 \
			va_end(ap_);                                                               \
		}                                                                                  \
	} while (0)

static int by_path(int i, const char *path, int flags, int mode)
{
	long r;
	int (*f)(const char *, int, ...);
	if (try_open(AT_FDCWD, path, flags, &r))
		return (int)answer(r);
	return have(i, &f) ? f(path, flags, mode) : -1;
}

static int by_dirfd(int i, int dirfd, const char *path, int flags, int mode)
{
	long r;
	int (*f)(int, const char *, int, ...);
	if (try_open(dirfd, path, flags, &r))
		return (int)answer(r);
	return have(i, &f) ? f(dirfd, path, flags, mode) : -1;
}

EXPORT int open(const char *path, int flags, ...)
{
	int mode = 0;
	GET_MODE(flags, mode);
	return by_path(OPEN, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
	int mode = 0;
	GET_MODE(flags, mode);
	return by_path(OPEN64, path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	int mode = 0;
	GET_MODE(flags, mode);
	return by_dirfd(OPENAT, dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	int mode = 0;
	GET_MODE(flags, mode);
	return by_dirfd(OPENAT64, dirfd, path, flags, mode);
}

/*
 * The fortified forms: flags that need a mode are the C library's to refuse. Declared here as
 * the C library's headers declare them only for a fortified build.
 */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static int by_path_2(int i, const char *path, int flags)
{
	long r;
	int (*f)(const char *, int);
	if (try_open(AT_FDCWD, path, flags, &r))
		return (int)answer(r);
	return have(i, &f) ? f(path, flags) : -1;
}

static int by_dirfd_2(int i, int dirfd, const char *path, int flags)
{
	long r;
	int (*f)(int, const char *, int);
	if (try_open(dirfd, path, flags, &r))
		return (int)answer(r);
	return have(i, &f) ? f(dirfd, path, flags) : -1;
}

EXPORT int __open_2(const char *path, int flags)
{
	return by_path_2(OPEN_2, path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	return by_path_2(OPEN64_2, path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return by_dirfd_2(OPENAT_2, dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return by_dirfd_2(OPENAT64_2, dirfd, path, flags);
}

/*
 * POSIX record locks. Closing any fd of a file drops every such lock the process holds on it,
 * and the try answers a stat, an access or a readlink by an open and a close: once the program
 * may take one, the try opens directories only (sb_kg_no_files(), direct.c), whether or not kernel
 * grants are on. The argument is never read here (a bad pointer is the C library's EFAULT); an
 * unlock counts too. OFD locks (F_OFD_*) and flock(2) belong to the open file, which no other
 * close touches. Locks the process held before its last exec, and those taken by a raw syscall,
 * are not seen (docs/threat-model.md).
 */
static bool posix_lock_cmd(int cmd)
{
	return cmd == F_SETLK || cmd == F_SETLKW
#if defined(F_SETLK64) && F_SETLK64 != F_SETLK
	       || cmd == F_SETLK64 || cmd == F_SETLKW64
#endif
		;
}

static int fcntl_as(int i, int fd, int cmd, void *arg)
{
	int (*f)(int, int, ...);
	if (posix_lock_cmd(cmd))
		sb_kg_no_files();
	return have(i, &f) ? f(fd, cmd, arg) : -1;
}

/* The variadic argument, as the C library takes it: one pointer-sized value, whatever cmd is. */
EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_as(FCNTL, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_as(FCNTL64, fd, cmd, arg);
}

EXPORT int lockf(int fd, int cmd, off_t len)
{
	int (*f)(int, int, off_t);
	if (cmd == F_LOCK || cmd == F_TLOCK)
		sb_kg_no_files();
	return have(LOCKF, &f) ? f(fd, cmd, len) : -1;
}

EXPORT int lockf64(int fd, int cmd, off64_t len)
{
	int (*f)(int, int, off64_t);
	if (cmd == F_LOCK || cmd == F_TLOCK)
		sb_kg_no_files();
	return have(LOCKF64, &f) ? f(fd, cmd, len) : -1;
}
