/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading another process's /proc entries (the broker's view of its callers). Not signal context.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * This process's id. The broker asks for it several times per request and the C library keeps
 * no cache (a getpid(2) each time), so it is read once per process: a child of fork(2) reads
 * its own (pthread_atfork). Not for a child made by vfork(2) or clone(2), which share the
 * cache with the parent until they exec.
 */
pid_t sb_self_pid(void);

/*
 * Read /proc/PID/NAME into buf (size bytes, NUL included): the length read, or -errno. Reads once:
 * what the kernel returns in one read(2), which is all of a status file of a few KiB.
 */
ssize_t sb_proc_read(pid_t pid, const char *name, char *buf, size_t size);

/*
 * Like sb_proc_read(pid, "status", ...), on a file held open for the next read (the broker's
 * callers: proc.c says why that is the same file). Not thread-safe: the broker's thread only.
 */
ssize_t sb_proc_status(pid_t pid, char *buf, size_t size);

/*
 * The number after "KEY:" in a /proc status text, in base (8 for Umask, 10 for Tgid): 0, or
 * -ENOENT when the line is missing, -EIO when it holds no number. The process name on the first
 * line is escaped by the kernel, so it cannot fake a line.
 */
int sb_proc_status_number(const char *status, const char *key, int base, uint64_t *ret);

/*
 * All the numbers on the line "KEY:" (Uid, Groups, ...), at most max into v: their count,
 * -ENOENT when the line is missing, -EIO when it holds something else or more than max.
 */
int sb_proc_status_numbers(const char *status, const char *key, int base, uint64_t *v, int max);

/* PID's umask, which the kernel would apply to what it creates: 0 or -errno. */
int sb_proc_umask(pid_t pid, mode_t *ret);

/*
 * fn(pid, TID, arg) for each thread of process pid (the names in /proc/PID/task), until one
 * returns anything but -ENOENT: that, or -ENOENT, or -errno when the list cannot be read.
 */
/*
 * pidfd_getfd(pidfd, fd) of process pid (pidfd its pidfd); when the process's main thread has
 * exited, through a live thread of it. The copy, or -1 with errno.
 */
int sb_pidfd_getfd(pid_t pid, int pidfd, int fd);

int sb_proc_each_task(pid_t pid, int (*fn)(pid_t pid, const char *tid, void *arg), void *arg);

/* What a thread's status file says about its privileges and signal mask. */
struct sb_thread_status {
	bool dead;       /* exited, a zombie, or gone while read */
	bool caps;       /* holds a capability in any set (CapInh, CapPrm, CapEff, CapAmb) */
	int nnp;         /* NoNewPrivs: 0, 1, or -1 where the kernel does not say (before 4.10) */
	uint64_t sigblk; /* SigBlk: signal n blocked is bit n - 1 */
};

/* Read TID's status file in taskfd (/proc/PID/task): 0 (dead for a thread that is gone) or -errno.
 */
int sb_proc_thread_status(int taskfd, const char *tid, struct sb_thread_status *ret);

/* A directory stream on a copy of fd (the caller keeps fd), or NULL with errno set. */
DIR *sb_opendir_dup(int fd);
