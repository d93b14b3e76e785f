/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trap path end to end under the real kernel: a forked child enters trap mode with a policy
 * and makes real file syscalls; this process is its broker. Allowed calls must behave like native
 * ones, denied calls must return the policy's errno and leave a log record, tricks with "..",
 * symlinks and dirfds must stay inside the granted tree, and replies must never cross between
 * threads or processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "handler.h"
#include "loop.h"
#include "protocol.h"
#include "policy.h"
#include "runtime.h"

static char root[PATH_MAX];
static const char *exit42; /* a static test program, granted exec */
static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(2, "child check failed at line %d: %s (errno %d)\n", __LINE__,     \
				#cond, errno);                                                     \
			_exit(100);                                                                \
		}                                                                                  \
	} while (0)

/* A raw syscall so that the test sees exactly what the kernel (or the broker) answered. */
static long sc(long nr, long a, long b, long c, long d)
{
	long r = syscall(nr, a, b, c, d, 0, 0);
	return r < 0 ? -errno : r;
}

static void writefile(const char *rel, const char *content)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
}

static bool read_is(int fd, const char *want)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = 0;
	return strcmp(buf, want) == 0;
}

static void *thread_main(void *arg)
{
	long id = (long)arg;
	char path[64], want[64];
	snprintf(path, sizeof(path), "granted/t%ld.txt", id);
	snprintf(want, sizeof(want), "thread %ld", id);
	for (int i = 0; i < 10000; i++) {
		long fd = sc(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
		CHECK(fd >= 0);
		CHECK(read_is((int)fd, want));
		close((int)fd);
	}
	return NULL;
}

/* Send raw bytes (and optionally an fd) on a socket, the way a hostile program could. */
static long send_raw(int fd, const void *buf, size_t len, int pass_fd, int copies)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd < 0)
		return sc(SYS_sendto, fd, (long)buf, (long)len, MSG_NOSIGNAL);
	if (pass_fd >= 0) {
		int fds[2] = { pass_fd, pass_fd };
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)copies);
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
	}
	return sc(SYS_sendmsg, fd, (long)&mh, MSG_NOSIGNAL, 0);
}

/* Read one reply from the control socket; returns its ret, and the fd it carried in *fd. */
static long ctrl_reply(int ctrl, int *fd)
{
	struct sb_rep rep;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	*fd = -1;
	CHECK(sc(SYS_recvmsg, ctrl, (long)&mh, MSG_CMSG_CLOEXEC, 0) == sizeof(rep));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (long)rep.ret;
}

/*
 * Forge, truncate and oversize messages on the control socket and on a channel of our own: the
 * broker must refuse each (one EPROTO reply each), keep serving, and never act on them.
 */
static void hostile(int ctrl)
{
	static uint8_t big[SB_MAX_REQ + 4096];
	struct sb_req req = { .magic = SB_PROTO_MAGIC_REQ,
			      .version = SB_PROTO_VERSION,
			      .type = SB_REQ_CHANNEL,
			      .arch = SB_AUDIT_ARCH };
	struct sb_rep rep;
	int ch, fd;

	/* Garbage and an oversized request: one refusal each. */
	memset(big, 0xa5, sizeof(big));
	CHECK(send_raw(ctrl, big, 17, -1, 0) >= 0);
	CHECK(ctrl_reply(ctrl, &fd) == -EPROTO && fd < 0);
	/* Passing fds needs sendmsg, which the filter sends to the broker, which refuses it. */
	CHECK(send_raw(ctrl, &req, sizeof(req), 0, 2) < 0);
	CHECK(send_raw(ctrl, big, sizeof(big), -1, 0) >= 0);
	CHECK(ctrl_reply(ctrl, &fd) == -EPROTO && fd < 0);

	/* A channel of our own, the way the handler asks for one. */
	CHECK(send_raw(ctrl, &req, sizeof(req), -1, 0) >= 0);
	CHECK(ctrl_reply(ctrl, &ch) == 0 && ch >= 0);

	struct sb_req *r = (struct sb_req *)big;
	const char path[] = "/etc/passwd";
	memset(big, 0, sizeof(big));
	*r = (struct sb_req){ .magic = SB_PROTO_MAGIC_REQ,
			      .version = SB_PROTO_VERSION,
			      .type = SB_REQ_SYSCALL,
			      .arch = SB_AUDIT_ARCH,
			      .nr = SYS_openat,
			      .args = { (uint64_t)AT_FDCWD, 0, O_RDONLY },
			      .seq = 1 };
	r->len[SB_ITEM_PATH0] = sizeof(path);
	memcpy(big + sizeof(*r), path, sizeof(path));
	size_t good = sizeof(*r) + sizeof(path);
	const struct {
		size_t len;
		int field; /* 0 none, 1 magic, 2 length lie, 3 interior NUL */
	} cases[] = {
		{ sizeof(*r) - 1, 0 }, { good, 1 }, { good, 2 }, { good, 3 }, { good + 1, 0 }
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_req saved = *r;
		char saved_byte = (char)big[sizeof(*r) + 4];
		if (cases[i].field == 1)
			r->magic = 0xdeadbeef;
		if (cases[i].field == 2)
			r->len[SB_ITEM_PATH0] = 4000;
		if (cases[i].field == 3)
			big[sizeof(*r) + 4] = 0;
		r->seq = 100 + i;
		CHECK(sc(SYS_sendto, ch, (long)big, (long)cases[i].len, MSG_NOSIGNAL) >= 0);
		CHECK(read(ch, &rep, sizeof(rep)) == sizeof(rep));
		CHECK(rep.magic == SB_PROTO_MAGIC_REP && rep.ret == -EPROTO &&
		      !(rep.flags & SB_REP_FD));
		*r = saved;
		big[sizeof(*r) + 4] = (uint8_t)saved_byte;
	}
	/* A well-formed request on it is decided by the policy like any other. */
	r->seq = 200;
	CHECK(sc(SYS_sendto, ch, (long)big, (long)good, MSG_NOSIGNAL) >= 0);
	CHECK(read(ch, &rep, sizeof(rep)) == sizeof(rep) && rep.seq == 200 && rep.ret == -EACCES);
	/* So are the kernel rules: a hand-made request cannot skip them (truncate to 7: EROFS). */
	struct sb_req t = { .magic = SB_PROTO_MAGIC_REQ,
			    .version = SB_PROTO_VERSION,
			    .type = SB_REQ_SYSCALL,
			    .arch = SB_AUDIT_ARCH,
			    .nr = SYS_truncate,
			    .args = { 0, 7 },
			    .seq = 201 };
	const char tpath[] = "granted/a.txt";
	t.len[SB_ITEM_PATH0] = sizeof(tpath);
	memcpy(big, &t, sizeof(t));
	memcpy(big + sizeof(t), tpath, sizeof(tpath));
	CHECK(sc(SYS_sendto, ch, (long)big, (long)(sizeof(t) + sizeof(tpath)), MSG_NOSIGNAL) >= 0);
	CHECK(read(ch, &rep, sizeof(rep)) == sizeof(rep) && rep.seq == 201 && rep.ret == -EROFS);
	/* And a syscall the broker does not serve is refused, not performed. */
	struct sb_req g = t;
	g.nr = SYS_getppid;
	g.seq = 202;
	memset(g.len, 0, sizeof(g.len));
	CHECK(sc(SYS_sendto, ch, (long)&g, sizeof(g), MSG_NOSIGNAL) >= 0);
	CHECK(read(ch, &rep, sizeof(rep)) == sizeof(rep) && rep.seq == 202 && rep.ret < 0);
	close(ch);

	/* Another socket at the control socket's number gains nothing: sendmsg is brokered. */
	int pair[2];
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == 0);
	int saved_ctrl = fcntl(ctrl, F_DUPFD_CLOEXEC, 100);
	CHECK(saved_ctrl >= 0 && dup2(pair[0], ctrl) == ctrl);
	struct sockaddr_un to = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	struct iovec iov = { .iov_base = "escaped", .iov_len = 7 };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1
	};
	CHECK(sc(SYS_sendmsg, ctrl, (long)&mh, 0, 0) < 0);
	CHECK(dup2(saved_ctrl, ctrl) == ctrl);
	close(saved_ctrl);
	close(pair[0]);
	close(pair[1]);
}

/*
 * Every brokered syscall through the trap: each shape of request (one path, two paths, a path
 * and a string, an input struct, an output struct or buffer, a NULL path) and the answer it
 * must give. The parent wrote the tree; st_native holds what it saw of a.txt natively.
 */
static struct stat st_native;

static void every_syscall(void)
{
	struct stat st;
	struct statx stx;
	char buf[64];
	long fd;

#ifdef SYS_open
	fd = sc(SYS_open, (long)"granted/a.txt", O_RDONLY, 0, 0);
	CHECK(fd >= 0 && read_is((int)fd, "hello\n"));
	close((int)fd);
	fd = sc(SYS_creat, (long)"granted/c1", 0600, 0, 0);
	CHECK(fd >= 0 && write((int)fd, "c", 1) == 1);
	close((int)fd);
	CHECK(sc(SYS_stat, (long)"granted/a.txt", (long)&st, 0, 0) == 0);
	CHECK(st.st_ino == st_native.st_ino && st.st_size == st_native.st_size);
	CHECK(sc(SYS_lstat, (long)"granted/link", (long)&st, 0, 0) == 0 && S_ISLNK(st.st_mode));
	CHECK(sc(SYS_access, (long)"granted/a.txt", W_OK, 0, 0) == 0);
	CHECK(sc(SYS_access, (long)"ro/r.txt", W_OK, 0, 0) == -EACCES);
	memset(buf, 0, sizeof(buf));
	CHECK(sc(SYS_readlink, (long)"granted/link", (long)buf, 3, 0) == 3 &&
	      memcmp(buf, "a.t", 3) == 0 && buf[3] == 0); /* never past the caller's buffer */
	CHECK(sc(SYS_mkdir, (long)"granted/d1", 0700, 0, 0) == 0);
	CHECK(sc(SYS_rename, (long)"granted/c1", (long)"granted/d1/c2", 0, 0) == 0);
	CHECK(sc(SYS_link, (long)"granted/d1/c2", (long)"granted/d1/c3", 0, 0) == 0);
	CHECK(sc(SYS_symlink, (long)"c2", (long)"granted/d1/s1", 0, 0) == 0);
	CHECK(sc(SYS_chmod, (long)"granted/d1/c2", 0640, 0, 0) == 0);
	CHECK(sc(SYS_stat, (long)"granted/d1/c3", (long)&st, 0, 0) == 0 && st.st_nlink == 2 &&
	      (st.st_mode & 07777) == 0640);
	CHECK(sc(SYS_unlink, (long)"granted/d1/c3", 0, 0, 0) == 0);
	CHECK(sc(SYS_unlink, (long)"granted/d1/s1", 0, 0, 0) == 0);
	CHECK(sc(SYS_unlink, (long)"granted/d1/c2", 0, 0, 0) == 0);
	CHECK(sc(SYS_rmdir, (long)"granted/d1", 0, 0, 0) == 0);
	CHECK(sc(SYS_rmdir, (long)"granted/d1", 0, 0, 0) == -ENOENT);
#endif
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	fd = sc(SYS_openat2, AT_FDCWD, (long)"granted/a.txt", (long)&how, sizeof(how));
	CHECK(fd >= 0 && read_is((int)fd, "hello\n") && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC));
	close((int)fd);
	/* The caller's own RESOLVE_BENEATH holds; where it would fail, the broker may answer
	 * with the policy's errno instead (it reveals a lookup only where the caller may stat). */
	long r2 = sc(SYS_openat2, AT_FDCWD, (long)"granted/up/../x", (long)&how, sizeof(how));
	CHECK(r2 == -EXDEV || r2 == -EACCES);
	CHECK(sc(SYS_statx, AT_FDCWD, (long)"granted/a.txt", 0, STATX_BASIC_STATS) < 0);
	CHECK(syscall(SYS_statx, AT_FDCWD, "granted/a.txt", 0, STATX_BASIC_STATS, &stx) == 0 &&
	      stx.stx_ino == st_native.st_ino && stx.stx_size == (uint64_t)st_native.st_size);
	CHECK(sc(SYS_faccessat2, AT_FDCWD, (long)"granted/a.txt", R_OK, AT_EACCESS) == 0);
	CHECK(sc(SYS_renameat, AT_FDCWD, (long)"granted/t7.txt", AT_FDCWD,
		 (long)"granted/t7b.txt") == 0);
	CHECK(sc(SYS_renameat, AT_FDCWD, (long)"granted/t7b.txt", AT_FDCWD,
		 (long)"granted/t7.txt") == 0);
	CHECK(sc(SYS_linkat, AT_FDCWD, (long)"granted/a.txt", AT_FDCWD, (long)"granted/l2") == 0);
	CHECK(sc(SYS_linkat, AT_FDCWD, (long)"ro/r.txt", AT_FDCWD, (long)"granted/l3") ==
	      -EACCES); /* a new name must not widen what the file's name grants */
	CHECK(sc(SYS_symlinkat, (long)"a.txt", AT_FDCWD, (long)"granted/s2", 0) == 0);
	CHECK(sc(SYS_fchmodat, AT_FDCWD, (long)"granted/l2", 0600, 0) == 0);
	CHECK(sc(SYS_truncate, (long)"granted/l2", 2, 0, 0) == 0);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/a.txt", (long)&st, 0) == 0 &&
	      st.st_size == 2 && (st.st_mode & 07777) == 0600); /* a.txt and l2 are one file */
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 5 } };
	CHECK(sc(SYS_utimensat, AT_FDCWD, (long)"granted/s2", (long)ts, 0) == 0);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/a.txt", (long)&st, 0) == 0 &&
	      st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 5);
	long dfd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_WRONLY, 0);
	CHECK(dfd >= 0);
	CHECK(sc(SYS_utimensat, dfd, 0, 0, 0) == 0); /* NULL path: the caller's own fd */
	close((int)dfd);
	/* A conditional, logged kernel deny on a brokered call: the broker applies it. */
	long tr = sc(SYS_truncate, (long)"granted/l2", 7, 0, 0);
	if (tr != -EROFS)
		dprintf(2, "truncate to 7: %ld\n", tr);
	CHECK(tr == -EROFS);
	/* Changing a file through an fd needs "write" on it, like through its name. */
	long rofd = sc(SYS_openat, AT_FDCWD, (long)"ro/r.txt", O_RDONLY, 0);
	CHECK(rofd >= 0);
	CHECK(sc(SYS_utimensat, rofd, 0, (long)ts, 0) == -EACCES);
	close((int)rofd);
	/* A vfork child's brokered call does not cost the parent one of its fds. */
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t vpid = vfork();
	if (vpid == 0) {
		long vfd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY, 0);
		_exit(vfd >= 0 ? 0 : 1);
	}
	int vst;
	CHECK(vpid > 0 && waitpid(vpid, &vst, 0) == vpid && WIFEXITED(vst) &&
	      WEXITSTATUS(vst) == 0);
	CHECK(fstat(pfd[0], &st) == 0 && S_ISFIFO(st.st_mode) && fstat(pfd[1], &st) == 0 &&
	      S_ISFIFO(st.st_mode));
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY, 0);
	CHECK(fd >= 0);
	CHECK(fstat(pfd[0], &st) == 0 && S_ISFIFO(st.st_mode));
	close((int)fd);
	close(pfd[0]);
	close(pfd[1]);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/s2", 0, 0) == 0);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/l2", 0, 0) == 0);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_WRONLY | O_TRUNC, 0);
	CHECK(fd >= 0 && write((int)fd, "hello\n", 6) == 6);
	close((int)fd);
	/* chdir: checked by the broker, carried out with fchdir on the fd it checked. */
	CHECK(sc(SYS_chdir, (long)"granted", 0, 0, 0) == 0);
	fd = sc(SYS_openat, AT_FDCWD, (long)"a.txt", O_RDONLY, 0);
	CHECK(fd >= 0 && read_is((int)fd, "hello\n"));
	close((int)fd);
	CHECK(sc(SYS_chdir, (long)"/etc", 0, 0, 0) == -EACCES);
	CHECK(sc(SYS_chdir, (long)"a.txt", 0, 0, 0) == -ENOTDIR);
	CHECK(sc(SYS_chdir, (long)root, 0, 0, 0) == 0);
	char *argv_none[] = { "x", NULL };
	CHECK(sc(SYS_execveat, AT_FDCWD, (long)"granted/a.txt", (long)argv_none, (long)environ) ==
	      -EACCES);
}

static void *short_thread(void *arg)
{
	long fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY, 0);
	CHECK(fd >= 0 && read_is((int)fd, "hello\n"));
	close((int)fd);
	return arg;
}

static void child(void)
{
	struct stat st, native;
	long fd, r;
	char buf[PATH_MAX];

	/* Allowed reads: the fd reads the right file, stat matches the real one. */
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY, 0);
	CHECK(fd >= 0);
	CHECK(read_is((int)fd, "hello\n"));
	CHECK((fcntl((int)fd, F_GETFD) & FD_CLOEXEC) == 0); /* not asked for: not set */
	close((int)fd);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY | O_CLOEXEC, 0);
	CHECK(fd >= 0 && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC));
	CHECK(fstat((int)fd, &native) == 0); /* fstat is kernel-allowed: the real answer */
	close((int)fd);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/a.txt", (long)&st, 0) == 0);
	CHECK(st.st_ino == native.st_ino && st.st_dev == native.st_dev &&
	      st.st_size == native.st_size && st.st_mode == native.st_mode &&
	      st.st_mtim.tv_nsec == native.st_mtim.tv_nsec);
	CHECK(sc(SYS_faccessat, AT_FDCWD, (long)"granted/a.txt", R_OK, 0) == 0);
	r = sc(SYS_readlinkat, AT_FDCWD, (long)"granted/link", (long)buf, sizeof(buf));
	CHECK(r == 5 && memcmp(buf, "a.txt", 5) == 0);

	/* dirfd-relative, with a dirfd the program opened itself. */
	long dfd = sc(SYS_openat, AT_FDCWD, (long)"granted", O_RDONLY | O_DIRECTORY, 0);
	CHECK(dfd >= 0);
	fd = sc(SYS_openat, dfd, (long)"a.txt", O_RDONLY, 0);
	CHECK(fd >= 0 && read_is((int)fd, "hello\n"));
	close((int)fd);

	/* Create, write, rename, delete. */
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0);
	CHECK(write((int)fd, "created\n", 8) == 8);
	close((int)fd);
	CHECK(sc(SYS_mkdirat, AT_FDCWD, (long)"granted/dir", 0750, 0) == 0);
	CHECK(sc(SYS_renameat2, AT_FDCWD, (long)"granted/new.txt", AT_FDCWD,
		 (long)"granted/dir/moved.txt") == 0);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/dir/moved.txt", O_RDONLY, 0);
	CHECK(fd >= 0 && read_is((int)fd, "created\n"));
	close((int)fd);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/dir/moved.txt", 0, 0) == 0);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/dir", AT_REMOVEDIR, 0) == 0);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/dir", (long)&st, 0) == -ENOENT);

	/* Denied: the policy's errno, nothing done. */
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"ro/r.txt", O_WRONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"ro/new", O_WRONLY | O_CREAT, 0600) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"hidden.txt", O_RDONLY, 0) == -ENOENT);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, 0) == -EACCES);
	/* Escapes: "..", a symlink, a dirfd: all decided on where they really lead. */
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"granted/../outside.txt", O_RDONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"granted/up/outside.txt", O_RDONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, dfd, (long)"../outside.txt", O_RDONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"/proc/self/root/etc/passwd", O_RDONLY, 0) < 0);
	close((int)dfd);

	every_syscall();

	/* Hostile messages are refused, and the broker keeps serving. */
	hostile(sb_ctrl_fd);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY, 0);
	CHECK(fd >= 0 && read_is((int)fd, "hello\n"));
	close((int)fd);

	/* Threads: each has its own channel, and replies never cross. */
	pthread_t th[8];
	for (long i = 0; i < 8; i++)
		CHECK(pthread_create(&th[i], NULL, thread_main, (void *)i) == 0);
	for (int i = 0; i < 8; i++)
		CHECK(pthread_join(th[i], NULL) == 0);

	/* Channels of threads that are gone are reclaimed: more short-lived threads than the fd
	 * limit allows channels must all work. */
	struct rlimit old_rl;
	CHECK(getrlimit(RLIMIT_NOFILE, &old_rl) == 0);
	struct rlimit rl = { 256, old_rl.rlim_max };
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (int i = 0; i < 1000; i++) {
		pthread_t t;
		CHECK(pthread_create(&t, NULL, short_thread, NULL) == 0);
		CHECK(pthread_join(t, NULL) == 0);
	}
	CHECK(setrlimit(RLIMIT_NOFILE, &old_rl) == 0);

	/* A forked child gets its own channel and the right answers. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 1000; i++) {
			fd = sc(SYS_openat, AT_FDCWD, (long)"granted/t3.txt", O_RDONLY, 0);
			CHECK(fd >= 0 && read_is((int)fd, "thread 3"));
			close((int)fd);
		}
		_exit(0);
	}
	for (int i = 0; i < 1000; i++) {
		fd = sc(SYS_openat, AT_FDCWD, (long)"granted/t5.txt", O_RDONLY, 0);
		CHECK(fd >= 0 && read_is((int)fd, "thread 5"));
		close((int)fd);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* SIGSYS cannot be replaced or ignored... */
	struct sigaction sa = { .sa_handler = SIG_IGN };
	CHECK(sigaction(SIGSYS, &sa, NULL) == -1 && errno == EPERM);
	/* ...and a process that blocks it dies at its next brokered call instead of escaping. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sc(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, 0);
		_exit(0); /* not reached */
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);

	/* exec: denied without the exec permission, and run through the checked fd when allowed. */
	char *argv_true[] = { "true", NULL };
	CHECK(sc(SYS_execve, (long)"/bin/true", (long)argv_true, (long)environ, 0) == -EACCES);
	CHECK(sc(SYS_execve, (long)"granted/a.txt", (long)argv_true, (long)environ, 0) == -EACCES);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv42[] = { "exit42", "42", NULL };
		long e = sc(SYS_execve, (long)exit42, (long)argv42, (long)environ, 0);
		dprintf(2, "exec of %s failed: %ld\n", exit42, e);
		_exit(1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		dprintf(2, "exec'd program: status %#x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
	_exit(0);
}

static int count_lines(const char *path, const char *needle1, const char *needle2)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle1) && (!needle2 || strstr(line, needle2)))
			n++;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/sb-test-trap-XXXXXX", logpath[PATH_MAX + 16], text[4 * PATH_MAX];
	struct sb_policy *policy = NULL;
	struct sb_policy_error err;
	struct sb_broker *broker = NULL;
	int sv[2];

	printf("1..8\n");
	if (argc != 2) {
		fprintf(stderr, "usage: test-trap PATH-TO-EXIT42\n");
		return 2;
	}
	exit42 = argv[1];
	if (!mkdtemp(tmpl) || !realpath(tmpl, root))
		return 1;
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/granted", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/ro", root);
	mkdir(p, 0700);
	writefile("granted/a.txt", "hello\n");
	writefile("ro/r.txt", "read only\n");
	writefile("hidden.txt", "secret\n");
	writefile("outside.txt", "outside\n");
	for (int i = 0; i < 8; i++) {
		char rel[64], content[64];
		snprintf(rel, sizeof(rel), "granted/t%d.txt", i);
		snprintf(content, sizeof(content), "thread %d", i);
		writefile(rel, content);
	}
	snprintf(p, sizeof(p), "%s/granted/link", root);
	if (symlink("a.txt", p) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/granted/up", root);
	if (symlink("..", p) < 0)
		return 1;

	int n = snprintf(text, sizeof(text),
			 "sysbroker-policy 1\n"
			 "default syscall deny errno ENOSYS nolog\n"
			 "allow @default-runtime @process @signal @memory @ipc\n"
			 "path \"%s/granted/**\" read write create delete list\n"
			 "path \"%s/ro/**\" read list\n"
			 "path \"%s/hidden.txt\" deny errno ENOENT\n"
			 "path \"%s\" stat list\n"
			 "path \"%s\" exec\n"
			 "deny truncate errno EROFS if arg1 == 7\n",
			 root, root, root, root, exit42);
	if (sb_policy_load_string(text, (size_t)n, "trap.policy", &policy, &err) < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/broker.log", root);
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;

	snprintf(p, sizeof(p), "%s/granted/a.txt", root);
	if (stat(p, &st_native) < 0)
		return 1;

	/*
	 * A policy that would make one of the handler's own syscalls trap (here: fcntl, whose
	 * mixed conditional rules only the broker could judge) is refused at entry, instead of
	 * killing the process at its first brokered call.
	 */
	static const char bad[] = "sysbroker-policy 1\nallow @default-runtime\n"
				  "deny fcntl errno EINVAL nolog if arg1 == F_SETFL\n";
	struct sb_policy *badp = NULL;
	if (sb_policy_load_string(bad, sizeof(bad) - 1, "bad", &badp, &err) < 0)
		return 1;
	int bsv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bsv) < 0)
		return 1;
	pid_t bpid = fork();
	if (bpid == 0)
		_exit(sb_trap_enter(badp, bsv[1]) == -EOPNOTSUPP ? 0 : 1);
	int bst;
	waitpid(bpid, &bst, 0);
	sb_policy_free(badp);
	close(bsv[0]);
	close(bsv[1]);
	bool refused = WIFEXITED(bst) && WEXITSTATUS(bst) == 0;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (chdir(root) < 0)
			_exit(98);
		int r = sb_trap_enter(policy, sv[1]);
		if (r < 0) {
			dprintf(2, "sb_trap_enter: %s\n", strerror(-r));
			_exit(99);
		}
		child();
	}
	close(sv[1]);
	if (sb_broker_new(policy, logfd, &broker) < 0 || sb_broker_add_control(broker, sv[0]) < 0)
		return 1;
	int r = sb_broker_run(broker);
	int status;
	waitpid(pid, &status, 0);

	bool ok = r == 0;
	printf("%s 1 - broker ran until the sandbox was gone\n", ok ? "ok" : "not ok");
	failures += !ok;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	printf("%s 2 - every call in the sandbox gave the expected answer (status %d)\n",
	       ok ? "ok" : "not ok", status);
	failures += !ok;
	/* The side effects outside: the denied create did not happen, the allowed one did. */
	snprintf(p, sizeof(p), "%s/ro/new", root);
	ok = access(p, F_OK) < 0 && errno == ENOENT;
	printf("%s 3 - a denied create created nothing\n", ok ? "ok" : "not ok");
	failures += !ok;
	/* The log tells the story: denials with errno, rule and transport. */
	ok = count_lines(logpath, "\"decision\":\"deny\"", "\"errno\":\"ENOENT\"") >= 1 &&
	     count_lines(logpath, "\"rule\":\"trap.policy:6\"", "hidden.txt") >= 1;
	printf("%s 4 - the hidden file's denial is logged with its rule\n", ok ? "ok" : "not ok");
	failures += !ok;
	ok = count_lines(logpath, "outside.txt", "\"errno\":\"EACCES\"") >= 3 &&
	     count_lines(logpath, "\"transport\":\"trap\"", NULL) >= 6;
	printf("%s 5 - escapes are logged as denials of the real target\n", ok ? "ok" : "not ok");
	failures += !ok;
	ok = count_lines(logpath, "\"decision\":\"allow\"", NULL) == 0;
	printf("%s 6 - allowed calls are not logged by default\n", ok ? "ok" : "not ok");
	failures += !ok;
	ok = count_lines(logpath, "\"decision\":\"protocol-error\"", NULL) >= 6;
	printf("%s 7 - forged and malformed messages are logged as protocol errors\n",
	       ok ? "ok" : "not ok");
	failures += !ok;
	printf("%s 8 - a policy the handler could not live with is refused at entry\n",
	       refused ? "ok" : "not ok");
	failures += !refused;

	sb_broker_free(broker);
	sb_policy_free(policy);
	if (!failures) {
		snprintf(text, sizeof(text), "rm -rf '%s'", root);
		if (system(text) != 0)
			return 1;
	} else {
		fprintf(stderr, "tree and log kept in %s\n", root);
	}
	return failures ? 1 : 0;
}
