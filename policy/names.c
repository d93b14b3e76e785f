/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names the policy language knows: errno names, symbolic constants, syscall groups, and the two
 * built-in syscall sets (brokered and dangerous). Syscall numbers always come from libseccomp.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "macro.h"
#include "policy.h"

int sb_errno_from_name(const char *name)
{
	/* glibc knows every errno name; ask it instead of keeping a second table. */
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return -ENOENT;
}

const char *sb_errno_name(int err)
{
	const char *n = err > 0 ? strerrorname_np(err) : NULL;
	return n ? n : "E?";
}

/* clang-format off: tables read better as tables. */
#define C(x)                                                                                       \
	{                                                                                          \
#x, (uint64_t)(x)                                                                  \
	}
#define CS(x)                                                                                      \
	{                                                                                          \
#x, (uint64_t)(int64_t)(x)                                                         \
	} /* negative int constants, sign-extended like the ABI */

static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
	/* open(2) */
	C(O_RDONLY),
	C(O_WRONLY),
	C(O_RDWR),
	C(O_ACCMODE),
	C(O_CREAT),
	C(O_EXCL),
	C(O_NOCTTY),
	C(O_TRUNC),
	C(O_APPEND),
	C(O_NONBLOCK),
	C(O_DSYNC),
	C(O_SYNC),
	C(O_DIRECTORY),
	C(O_NOFOLLOW),
	C(O_CLOEXEC),
	C(O_PATH),
	C(O_TMPFILE),
	C(O_NOATIME),
	C(O_DIRECT),
	C(O_LARGEFILE),
	C(O_ASYNC),
	/* *at(2) */
	CS(AT_FDCWD),
	C(AT_SYMLINK_NOFOLLOW),
	C(AT_SYMLINK_FOLLOW),
	C(AT_REMOVEDIR),
	C(AT_EMPTY_PATH),
	C(AT_NO_AUTOMOUNT),
	C(AT_EACCESS),
	/* access(2) */
	C(F_OK),
	C(R_OK),
	C(W_OK),
	C(X_OK),
	/* fcntl(2) */
	C(F_DUPFD),
	C(F_DUPFD_CLOEXEC),
	C(F_GETFD),
	C(F_SETFD),
	C(F_GETFL),
	C(F_SETFL),
	C(F_GETLK),
	C(F_SETLK),
	C(F_SETLKW),
	C(F_OFD_GETLK),
	C(F_OFD_SETLK),
	C(F_OFD_SETLKW),
	C(F_GETPIPE_SZ),
	C(F_SETPIPE_SZ),
	C(F_ADD_SEALS),
	C(F_GET_SEALS),
	C(FD_CLOEXEC),
	/* modes */
	C(S_IFMT),
	C(S_IFREG),
	C(S_IFDIR),
	C(S_IFLNK),
	C(S_IFIFO),
	C(S_IFSOCK),
	C(S_IFCHR),
	C(S_IFBLK),
	C(S_ISUID),
	C(S_ISGID),
	C(S_ISVTX),
	C(S_IRWXU),
	C(S_IRUSR),
	C(S_IWUSR),
	C(S_IXUSR),
	C(S_IRWXG),
	C(S_IRGRP),
	C(S_IWGRP),
	C(S_IXGRP),
	C(S_IRWXO),
	C(S_IROTH),
	C(S_IWOTH),
	C(S_IXOTH),
	/* socket(2) */
	C(AF_UNSPEC),
	C(AF_UNIX),
	C(AF_LOCAL),
	C(AF_INET),
	C(AF_INET6),
	C(AF_NETLINK),
	C(AF_PACKET),
	C(AF_VSOCK),
	C(AF_ALG),
	C(AF_KEY),
	C(AF_BLUETOOTH),
	C(SOCK_STREAM),
	C(SOCK_DGRAM),
	C(SOCK_RAW),
	C(SOCK_SEQPACKET),
	C(SOCK_NONBLOCK),
	C(SOCK_CLOEXEC),
	C(SOL_SOCKET),
	C(SO_REUSEADDR),
	C(SO_KEEPALIVE),
	C(SO_RCVBUF),
	C(SO_SNDBUF),
	C(SO_PASSCRED),
	C(SO_PEERCRED),
	C(MSG_DONTWAIT),
	C(MSG_NOSIGNAL),
	C(MSG_PEEK),
	C(MSG_WAITALL),
	C(MSG_CMSG_CLOEXEC),
	C(SHUT_RD),
	C(SHUT_WR),
	C(SHUT_RDWR),
	/* clone(2) */
	C(CLONE_VM),
	C(CLONE_FS),
	C(CLONE_FILES),
	C(CLONE_SIGHAND),
	C(CLONE_PIDFD),
	C(CLONE_PTRACE),
	C(CLONE_VFORK),
	C(CLONE_PARENT),
	C(CLONE_THREAD),
	C(CLONE_NEWNS),
	C(CLONE_SYSVSEM),
	C(CLONE_SETTLS),
	C(CLONE_PARENT_SETTID),
	C(CLONE_CHILD_CLEARTID),
	C(CLONE_DETACHED),
	C(CLONE_UNTRACED),
	C(CLONE_CHILD_SETTID),
	C(CLONE_NEWCGROUP),
	C(CLONE_NEWUTS),
	C(CLONE_NEWIPC),
	C(CLONE_NEWUSER),
	C(CLONE_NEWPID),
	C(CLONE_NEWNET),
	C(CLONE_IO),
	C(CLONE_NEWTIME),
	/* mmap(2), mprotect(2) */
	C(PROT_NONE),
	C(PROT_READ),
	C(PROT_WRITE),
	C(PROT_EXEC),
	C(MAP_SHARED),
	C(MAP_PRIVATE),
	C(MAP_FIXED),
	C(MAP_ANONYMOUS),
	C(MAP_FIXED_NOREPLACE),
	C(MAP_NORESERVE),
	C(MAP_STACK),
	C(MAP_GROWSDOWN),
	C(MAP_POPULATE),
	/* prctl(2) */
	C(PR_SET_NAME),
	C(PR_GET_NAME),
	C(PR_SET_PDEATHSIG),
	C(PR_GET_PDEATHSIG),
	C(PR_SET_DUMPABLE),
	C(PR_GET_DUMPABLE),
	C(PR_SET_NO_NEW_PRIVS),
	C(PR_GET_NO_NEW_PRIVS),
	C(PR_SET_SECCOMP),
	C(PR_GET_SECCOMP),
	C(PR_CAPBSET_READ),
	C(PR_SET_CHILD_SUBREAPER),
	C(PR_SET_VMA),
	C(PR_SET_MM),
	C(PR_SET_PTRACER),
	/* ioctl(2) on terminals and files */
	C(TCGETS),
	C(TCSETS),
	C(TCSETSW),
	C(TCSETSF),
	C(TIOCGWINSZ),
	C(TIOCSWINSZ),
	C(TIOCGPGRP),
	C(TIOCSPGRP),
	C(TIOCSTI),
	C(TIOCSCTTY),
	C(TIOCLINUX),
	C(FIONREAD),
	C(FIONBIO),
	C(FIOCLEX),
	C(FIONCLEX),
	/* signals, for kill(2) and friends */
	C(SIGHUP),
	C(SIGINT),
	C(SIGQUIT),
	C(SIGKILL),
	C(SIGTERM),
	C(SIGSTOP),
	C(SIGCONT),
	C(SIGCHLD),
	C(SIGUSR1),
	C(SIGUSR2),
	C(SIGPIPE),
	C(SIGALRM),
	C(SIGSYS),
	C(SIGWINCH),
	C(SIG_BLOCK),
	C(SIG_UNBLOCK),
	C(SIG_SETMASK),
};

/* clang-format on */

int sb_constant_lookup(const char *name, uint64_t *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(constants); i++)
		if (strcmp(constants[i].name, name) == 0) {
			*ret = constants[i].value;
			return 0;
		}
	return -ENOENT;
}

/*
 * Groups. They never contain a brokered syscall (those are decided by path and network rules)
 * nor a dangerous one (those need a rule that names them). A test checks both.
 */
/* clang-format off */
static const char *const g_runtime[] = {
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "arch_prctl",
	"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex", "getrandom",
	"exit", "exit_group", "restart_syscall", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "sigaltstack", "getpid", "gettid", "getppid", "getuid", "geteuid",
	"getgid", "getegid", "getresuid", "getresgid", "getgroups", "uname", "sysinfo",
	"prlimit64", "getrlimit", "getrusage", "clock_gettime", "clock_getres",
	"gettimeofday", "time", "read", "write", "readv", "writev", "pread64", "pwrite64",
	"lseek", "close", "close_range", "fstat", "fcntl", "dup", "dup2", "dup3", "getcwd",
	"umask", "sched_yield", "sched_getaffinity", "membarrier", "nanosleep",
	"clock_nanosleep", NULL};
static const char *const g_file_read[] = {
	"read", "readv", "pread64", "preadv", "preadv2", "lseek", "fstat", "fstatfs",
	"getdents", "getdents64", "fadvise64", "readahead", "flock", "fcntl", "close", NULL};
static const char *const g_file_write[] = {
	"write", "writev", "pwrite64", "pwritev", "pwritev2", "ftruncate", "fallocate",
	"fsync", "fdatasync", "sync_file_range", "fchmod", "fchown", "flock", "copy_file_range",
	"sendfile", "splice", "tee", "close", NULL};
/*
 * Not listen(2): on a socket that was never bound it binds one itself, to an ephemeral port on
 * every address. It is brokered: the broker decides it as bind to the socket's own address.
 */
static const char *const g_network[] = {
	"socket", "socketpair", "getsockopt", "setsockopt", "getsockname", "getpeername",
	"accept", "accept4", "recvfrom", "recvmsg", "recvmmsg", "shutdown", NULL};
static const char *const g_process[] = {
	"fork", "vfork", "clone", "wait4", "waitid", "exit", "exit_group", "getpid", "gettid",
	"getppid", "getpgid", "setpgid", "getpgrp", "setsid", "getsid", "prctl",
	"pidfd_open", "pidfd_send_signal", "kill", "tgkill", "tkill", "set_tid_address",
	"set_robust_list", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
	"sched_getscheduler", "sched_yield", "getpriority", "setpriority", NULL};
static const char *const g_signal[] = {
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
	"rt_sigsuspend", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "signalfd",
	"signalfd4", "pause", "alarm", "kill", "tgkill", "tkill", NULL};
static const char *const g_time[] = {
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
	"time", "times", "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun",
	"timer_delete", "timerfd_create", "timerfd_settime", "timerfd_gettime", "alarm",
	"getitimer", "setitimer", NULL};
static const char *const g_memory[] = {
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mlock", "mlock2",
	"munlock", "mlockall", "munlockall", "mincore", "msync", "memfd_create", NULL};
static const char *const g_ipc[] = {
	"pipe", "pipe2", "eventfd", "eventfd2", "futex", "socketpair", "memfd_create", NULL};
static const char *const g_poll[] = {
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", NULL};

static const struct sb_group groups[] = {
	{"@default-runtime", "what the C runtime and dynamic loader need in any program", g_runtime},
	{"@file-read", "reading and inspecting files already open", g_file_read},
	{"@file-write", "writing, syncing and resizing files already open", g_file_write},
	{"@network", "sockets, without connect/bind/listen/sendto/sendmsg (net rules decide those)",
	 g_network},
	{"@process", "creating, waiting for and signalling processes and threads", g_process},
	{"@signal", "handling, blocking and sending signals", g_signal},
	{"@time", "clocks, sleeps and timers", g_time},
	{"@memory", "mapping and managing memory", g_memory},
	{"@ipc", "pipes, eventfds, futexes and socket pairs", g_ipc},
	{"@poll", "waiting for events on many fds", g_poll},
};

/* clang-format on */

const struct sb_group *sb_groups(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(groups);
	return groups;
}

const struct sb_group *sb_group_lookup(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(groups); i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

/*
 * Every syscall that takes a path or a socket address: the rows of the one syscall table
 * (common/syscalls.h). The kernel cannot look at pointed-to memory safely, so none of these may
 * be allowed by a kernel rule: the broker decides them.
 */
enum sb_brokered_kind sb_syscall_brokered(int nr)
{
	const struct sb_shape *sh = sb_syscall_lookup(nr);
	return sh ? (enum sb_brokered_kind)sh->kind : SB_BROKERED_NO;
}

const char *sb_brokered_name(size_t i, enum sb_brokered_kind *ret_kind)
{
	if (i >= SB_NSHAPES)
		return NULL;
	if (ret_kind)
		*ret_kind = (enum sb_brokered_kind)sb_shapes[i].kind;
	return sb_shapes[i].name;
}

/*
 * Syscalls that defeat or widen the sandbox (DESIGN.md, "The security boundary"). Denied unless a
 * rule names them explicitly. clone3 gets ENOSYS because its flags live in memory the filter
 * cannot read and libc then falls back to clone(2), whose flags it can. seccomp(2) is refused
 * only with SECCOMP_FILTER_FLAG_NEW_LISTENER: a second listener would receive the brokered calls
 * before ours and could let them run unchecked; adding ordinary filters only tightens. clone(2)
 * is refused only with a namespace flag: that is unshare(2) by another name.
 */
#define SECCOMP_FILTER_FLAG_NEW_LISTENER_ (1UL << 3)
/* clang-format off */
static const struct sb_dangerous dangerous[] = {
	{"ptrace", EPERM, 0, 0}, {"process_vm_readv", EPERM, 0, 0},
	{"process_vm_writev", EPERM, 0, 0}, {"process_madvise", EPERM, 0, 0},
	{"pidfd_getfd", EPERM, 0, 0}, {"kcmp", EPERM, 0, 0}, {"bpf", EPERM, 0, 0},
	{"userfaultfd", EPERM, 0, 0}, {"perf_event_open", EPERM, 0, 0},
	{"io_uring_setup", EPERM, 0, 0}, {"io_uring_enter", EPERM, 0, 0},
	{"io_uring_register", EPERM, 0, 0}, {"kexec_load", EPERM, 0, 0},
	{"kexec_file_load", EPERM, 0, 0}, {"init_module", EPERM, 0, 0},
	{"finit_module", EPERM, 0, 0}, {"delete_module", EPERM, 0, 0}, {"mount", EPERM, 0, 0},
	{"umount2", EPERM, 0, 0}, {"pivot_root", EPERM, 0, 0}, {"chroot", EPERM, 0, 0},
	{"move_mount", EPERM, 0, 0}, {"open_tree", EPERM, 0, 0}, {"fsopen", EPERM, 0, 0},
	{"fsconfig", EPERM, 0, 0}, {"fsmount", EPERM, 0, 0}, {"fspick", EPERM, 0, 0},
	{"mount_setattr", EPERM, 0, 0}, {"open_tree_attr", EPERM, 0, 0},
	{"statmount", EPERM, 0, 0}, {"listmount", EPERM, 0, 0}, {"keyctl", EPERM, 0, 0}, {"add_key", EPERM, 0, 0},
	{"request_key", EPERM, 0, 0}, {"personality", EPERM, 0, 0}, {"unshare", EPERM, 0, 0},
	{"setns", EPERM, 0, 0}, {"clone3", ENOSYS, 0, 0},
	{"seccomp", EPERM, 1, SECCOMP_FILTER_FLAG_NEW_LISTENER_}, {"acct", EPERM, 0, 0},
	{"clone", EPERM, 0, CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
			    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME},
	{"swapon", EPERM, 0, 0}, {"swapoff", EPERM, 0, 0}, {"reboot", EPERM, 0, 0},
	{"syslog", EPERM, 0, 0}, {"quotactl", EPERM, 0, 0}, {"quotactl_fd", EPERM, 0, 0},
	{"iopl", EPERM, 0, 0}, {"ioperm", EPERM, 0, 0}, {"uselib", EPERM, 0, 0},
	{"open_by_handle_at", EPERM, 0, 0}, {"name_to_handle_at", EPERM, 0, 0},
	{"settimeofday", EPERM, 0, 0}, {"clock_settime", EPERM, 0, 0},
	{"adjtimex", EPERM, 0, 0}, {"clock_adjtime", EPERM, 0, 0},
	{"sethostname", EPERM, 0, 0}, {"setdomainname", EPERM, 0, 0},
	{"lookup_dcookie", EPERM, 0, 0}, {"vhangup", EPERM, 0, 0},
	{"nfsservctl", EPERM, 0, 0}, {"_sysctl", EPERM, 0, 0}, {"move_pages", EPERM, 0, 0},
	{"migrate_pages", EPERM, 0, 0},
};

/* clang-format on */

const struct sb_dangerous *sb_dangerous(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(dangerous);
	return dangerous;
}

/*
 * Socket options that give the packets a socket sends a route, or header options, that can take
 * them to an address other than the one their connect or send named, which is the address a net
 * rule decided: IPv6 routing headers (segment routing, type 2), IPv4 source routes (LSRR/SSRR in
 * IP options, sticky or as the options of a reply), a header the program writes itself (raw
 * sockets), and per-socket IPsec policies (a tunnel template sends to its endpoint).
 * IPV6_2292PKTOPTIONS sets sticky options from a buffer of control messages, a routing header
 * among them; so does IPV6_FLOWLABEL_MGR for the packets sent with the flow label it creates.
 * Refused whatever the policy says, and on the record; docs/threat-model.md says which options are
 * left and why. The same options as control data of sendmsg(2) never reach the kernel: the broker
 * refuses every send with control data.
 */
#ifndef IPV6_FLOWLABEL_MGR
#define IPV6_FLOWLABEL_MGR 32 /* <linux/in6.h>, which clashes with libc */
#endif

/* clang-format off */
static const struct sb_sockopt route_options[] = {
	{IPPROTO_IP, IP_OPTIONS},
	{IPPROTO_IP, IP_RETOPTS},
	{IPPROTO_IP, IP_HDRINCL},
	{IPPROTO_IP, IP_IPSEC_POLICY},
	{IPPROTO_IP, IP_XFRM_POLICY},
	{IPPROTO_IPV6, IPV6_RTHDR},
	{IPPROTO_IPV6, IPV6_2292RTHDR},
	{IPPROTO_IPV6, IPV6_2292PKTOPTIONS},
	{IPPROTO_IPV6, IPV6_FLOWLABEL_MGR},
	{IPPROTO_IPV6, IPV6_HDRINCL},
	{IPPROTO_IPV6, IPV6_IPSEC_POLICY},
	{IPPROTO_IPV6, IPV6_XFRM_POLICY},
};

/* clang-format on */

const struct sb_sockopt *sb_route_options(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(route_options);
	return route_options;
}

/* level and optname are ints: the kernel reads the low 32 bits of each register only. */
bool sb_route_option_matches(int nr, const uint64_t args[6])
{
	if (!args || nr != sb_syscall_nr("setsockopt"))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(route_options); i++)
		if ((uint32_t)args[1] == (uint32_t)route_options[i].level &&
		    (uint32_t)args[2] == (uint32_t)route_options[i].optname)
			return true;
	return false;
}

const char *sb_perm_name(uint32_t perm)
{
	switch (perm) {
	case SB_PERM_STAT:
		return "stat";
	case SB_PERM_READ:
		return "read";
	case SB_PERM_WRITE:
		return "write";
	case SB_PERM_CREATE:
		return "create";
	case SB_PERM_DELETE:
		return "delete";
	case SB_PERM_EXEC:
		return "exec";
	case SB_PERM_LIST:
		return "list";
	}
	return NULL;
}

const char *sb_verdict_name(enum sb_verdict v)
{
	switch (v) {
	case SB_ALLOW:
		return "allow";
	case SB_DENY:
		return "deny";
	case SB_KILL:
		return "kill";
	case SB_BROKER:
		return "broker";
	}
	return "?";
}

bool sb_dangerous_matches(int nr, const uint64_t args[6])
{
	size_t n;
	const struct sb_dangerous *d = sb_dangerous(&n);
	for (size_t i = 0; i < n; i++) {
		if (sb_syscall_nr(d[i].name) != nr)
			continue;
		if (!d[i].cond_mask ||
		    (args && d[i].cond_arg < 6 && (args[d[i].cond_arg] & d[i].cond_mask) != 0))
			return true;
	}
	return false;
}
