/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classification half of the syscall table (syscalls.h has the brokered rows): every
 * syscall of every supported architecture is path-free, brokered or refused, and a number that
 * is none of these is unknown. Not for signal context (libseccomp, a one-time index).
 */
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "syscalls.h"

/*
 * Every syscall that takes no path and no socket address (or takes one only as a name in
 * another namespace: mq_open, memfd_create): the policy's kernel rules and its default decide
 * it. The dangerous ones (policy/names.c) are here too; their built-in rule denies them unless
 * the policy names them. Sorted. A syscall missing here and from the brokered rows is unknown.
 */
/* clang-format off */
static const char *const path_free[] = {
	"_sysctl", "accept", "accept4", "acct", "add_key", "adjtimex", "afs_syscall", "alarm",
	"arch_prctl", "bpf", "brk", "cachestat", "capget", "capset", "chroot", "clock_adjtime",
	"clock_getres", "clock_gettime", "clock_nanosleep", "clock_settime", "clone", "clone3",
	"close", "close_range", "copy_file_range", "create_module", "delete_module", "dup",
	"dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	"epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	"exit", "exit_group", "fadvise64", "fallocate", "fanotify_init", "fchdir", "fchmod",
	"fchown", "fcntl", "fdatasync", "fgetxattr", "finit_module", "flistxattr", "flock",
	"fork", "fremovexattr", "fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick", "fstat",
	"fstatfs", "fsync", "ftruncate", "futex", "futex_requeue", "futex_wait", "futex_waitv",
	"futex_wake", "get_kernel_syms", "get_mempolicy", "get_robust_list", "get_thread_area",
	"getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
	"getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getpmsg", "getppid",
	"getpriority", "getrandom", "getresgid", "getresuid", "getrlimit", "getrusage", "getsid",
	"getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "init_module",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
	"io_getevents", "io_pgetevents", "io_setup", "io_submit", "io_uring_enter",
	"io_uring_register", "io_uring_setup", "ioctl", "ioperm", "iopl", "ioprio_get",
	"ioprio_set", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "kill",
	"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "listmount",
	"lookup_dcookie", "lseek", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr",
	"madvise", "map_shadow_stack", "mbind", "membarrier", "memfd_create", "memfd_secret",
	"migrate_pages", "mincore", "mlock", "mlock2", "mlockall", "mmap", "modify_ldt", "mount",
	"mount_setattr", "move_mount", "move_pages", "mprotect", "mq_getsetattr", "mq_notify",
	"mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "mseal", "msgctl",
	"msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
	"name_to_handle_at", "nanosleep", "nfsservctl", "open_by_handle_at", "open_tree",
	"open_tree_attr", "pause", "perf_event_open", "personality", "pidfd_getfd", "pidfd_open",
	"pidfd_send_signal", "pipe", "pipe2", "pivot_root", "pkey_alloc", "pkey_free",
	"pkey_mprotect", "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	"process_madvise", "process_mrelease", "process_vm_readv", "process_vm_writev",
	"pselect6", "ptrace", "putpmsg", "pwrite64", "pwritev", "pwritev2", "query_module",
	"quotactl", "quotactl_fd", "read", "readahead", "readv", "reboot", "recvfrom", "recvmmsg",
	"recvmsg", "remap_file_pages", "request_key", "restart_syscall", "rseq", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "security", "select",
	"semctl", "semget", "semop", "semtimedop", "sendfile", "set_mempolicy",
	"set_mempolicy_home_node", "set_robust_list", "set_thread_area", "set_tid_address",
	"setdomainname", "setfsgid", "setfsuid", "setgid", "setgroups", "sethostname",
	"setitimer", "setns", "setpgid", "setpriority", "setregid", "setresgid", "setresuid",
	"setreuid", "setrlimit", "setsid", "setsockopt", "settimeofday", "setuid", "shmat",
	"shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socket",
	"socketpair", "splice", "statmount", "swapoff", "swapon", "sync", "sync_file_range",
	"syncfs", "sysfs", "sysinfo", "syslog", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
	"timerfd_gettime", "timerfd_settime", "times", "tkill", "tuxcall", "umask", "umount2",
	"uname", "unshare", "uprobe", "uretprobe", "uselib", "userfaultfd", "ustat", "vfork",
	"vhangup", "vmsplice", "vserver", "wait4", "waitid", "write", "writev",
};
/* clang-format on */

/*
 * Syscalls that take a path the broker does not serve and that no rule may allow (a kernel
 * rule cannot look at the path): refused with ENOSYS, on the record.
 */
static const char *const refused[] = { "file_getattr", "file_setattr" };

/*
 * Names older libseccomp releases lack, with this architecture's number (syscalls.h defines the
 * SYS_ numbers the C library's headers lack).
 */
#define OWN(x)                                                                                     \
	{                                                                                          \
#x, SYS_##x                                                                        \
	}
static const struct {
	const char *name;
	int nr;
} own[] = {
#ifdef SYS_uretprobe
	OWN(uretprobe),
#endif
#ifdef SYS_uprobe
	OWN(uprobe),
#endif
	OWN(cachestat),
	OWN(fchmodat2),
	OWN(map_shadow_stack),
	OWN(futex_wake),
	OWN(futex_wait),
	OWN(futex_requeue),
	OWN(statmount),
	OWN(listmount),
	OWN(lsm_get_self_attr),
	OWN(lsm_set_self_attr),
	OWN(lsm_list_modules),
	OWN(mseal),
	OWN(setxattrat),
	OWN(getxattrat),
	OWN(listxattrat),
	OWN(removexattrat),
	OWN(open_tree_attr),
	OWN(file_getattr),
	OWN(file_setattr),
};
#undef OWN

int sb_syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr != __NR_SCMP_ERROR)
		return nr;
	for (size_t i = 0; i < ELEMENTSOF(own); i++)
		if (strcmp(own[i].name, name) == 0)
			return own[i].nr;
	return -1;
}

/* The native architecture's numbers, indexed once: class and name of each. */
static struct {
	uint8_t class[SB_NR_LIMIT];
	const char *name[SB_NR_LIMIT];
} idx;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static void idx_add(const char *name, enum sb_syscall_class class)
{
	int nr = sb_syscall_nr(name);
	if (nr < 0 || nr >= SB_NR_LIMIT)
		return; /* not on this architecture */
	idx.class[nr] = (uint8_t) class;
	idx.name[nr] = name;
}

static void idx_build(void)
{
	for (size_t i = 0; i < ELEMENTSOF(path_free); i++)
		idx_add(path_free[i], SB_CLASS_PATH_FREE);
	for (size_t i = 0; i < ELEMENTSOF(refused); i++)
		idx_add(refused[i], SB_CLASS_REFUSED);
	for (size_t i = 0; i < SB_NSHAPES; i++)
		idx_add(sb_shapes[i].name, SB_CLASS_BROKERED);
}

enum sb_syscall_class sb_syscall_class(int nr)
{
	if (nr < 0 || nr >= SB_NR_LIMIT)
		return SB_CLASS_UNKNOWN;
	pthread_once(&idx_once, idx_build);
	return (enum sb_syscall_class)idx.class[nr];
}

const char *sb_syscall_name(int nr)
{
	if (nr < 0 || nr >= SB_NR_LIMIT)
		return NULL;
	pthread_once(&idx_once, idx_build);
	return idx.name[nr];
}
