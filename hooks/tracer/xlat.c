/* xlat.c -- names of the constants the decoders print: data only.
 *
 * Each table lists a constant's value and its name, in the order strace
 * prints a combination of flags. The values come from the system headers. */
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/close_range.h>
#include <linux/stat.h>
#include <sys/prctl.h>

#include "xlat.h"

#define X(v) { (uint64_t)(v), #v }
#define END { 0, NULL }

const struct tr_xlat tr_open_flags[] = {
	X(O_CREAT), X(O_EXCL), X(O_NOCTTY), X(O_TRUNC), X(O_APPEND), X(O_NONBLOCK),
	X(O_SYNC), X(O_DSYNC), X(O_ASYNC), X(O_DIRECT), { 0x8000, "O_LARGEFILE" }, X(O_NOFOLLOW),
	X(O_NOATIME), X(O_CLOEXEC), X(O_PATH), X(O_TMPFILE), X(O_DIRECTORY), END
};
/* pipe2, dup3, inotify_init1, eventfd ... */
const struct tr_xlat tr_fd_flags[] = { X(O_NONBLOCK), X(O_CLOEXEC), X(O_DIRECT), END };
const struct tr_xlat tr_file_types[] = {
	X(S_IFREG), X(S_IFSOCK), X(S_IFIFO), X(S_IFLNK), X(S_IFDIR), X(S_IFBLK), X(S_IFCHR), END
};
const struct tr_xlat tr_families[] = {
	X(AF_UNSPEC), X(AF_UNIX), X(AF_INET), X(AF_INET6), X(AF_NETLINK), X(AF_PACKET),
	X(AF_BLUETOOTH), X(AF_ALG), X(AF_VSOCK), END
};
const struct tr_xlat tr_socktypes[] = {
	X(SOCK_STREAM), X(SOCK_DGRAM), X(SOCK_RAW), X(SOCK_RDM), X(SOCK_SEQPACKET), X(SOCK_PACKET),
	END
};
const struct tr_xlat tr_sock_flags[] = { X(SOCK_CLOEXEC), X(SOCK_NONBLOCK), END };
const struct tr_xlat tr_ip_protos[] = {
	X(IPPROTO_IP), X(IPPROTO_ICMP), X(IPPROTO_TCP), X(IPPROTO_UDP), X(IPPROTO_IPV6),
	X(IPPROTO_ICMPV6), X(IPPROTO_RAW), X(IPPROTO_SCTP), X(IPPROTO_UDPLITE), END
};
const struct tr_xlat tr_sol_levels[] = {
	X(SOL_SOCKET), X(SOL_IP), X(SOL_TCP), { 17, "SOL_UDP" }, X(SOL_IPV6), END
};
const struct tr_xlat tr_so_opts[] = {
	X(SO_DEBUG), X(SO_REUSEADDR), X(SO_TYPE), X(SO_ERROR), X(SO_DONTROUTE), X(SO_BROADCAST),
	X(SO_SNDBUF), X(SO_RCVBUF), X(SO_SNDBUFFORCE), X(SO_RCVBUFFORCE), X(SO_KEEPALIVE),
	X(SO_OOBINLINE), X(SO_NO_CHECK), X(SO_PRIORITY), X(SO_LINGER), X(SO_BSDCOMPAT),
	X(SO_REUSEPORT), X(SO_PASSCRED), X(SO_PEERCRED), X(SO_RCVLOWAT), X(SO_SNDLOWAT),
	X(SO_RCVTIMEO_OLD), X(SO_SNDTIMEO_OLD), X(SO_BINDTODEVICE), X(SO_TIMESTAMP_OLD),
	X(SO_ACCEPTCONN), X(SO_PEERSEC), X(SO_PASSSEC), X(SO_MARK), X(SO_PROTOCOL), X(SO_DOMAIN),
	X(SO_RXQ_OVFL), X(SO_PEEK_OFF), X(SO_BUSY_POLL), X(SO_INCOMING_CPU), X(SO_ZEROCOPY), END
};
const struct tr_xlat tr_tcp_opts[] = {
	X(TCP_NODELAY), X(TCP_MAXSEG), X(TCP_CORK), X(TCP_KEEPIDLE), X(TCP_KEEPINTVL),
	X(TCP_KEEPCNT), X(TCP_SYNCNT), X(TCP_LINGER2), X(TCP_DEFER_ACCEPT), X(TCP_WINDOW_CLAMP),
	X(TCP_INFO), X(TCP_QUICKACK), X(TCP_CONGESTION), X(TCP_USER_TIMEOUT),
	X(TCP_FASTOPEN), X(TCP_FASTOPEN_CONNECT), X(TCP_ULP), X(TCP_NOTSENT_LOWAT), END
};
const struct tr_xlat tr_ip_opts[] = {
	X(IP_TOS), X(IP_TTL), X(IP_HDRINCL), X(IP_OPTIONS), X(IP_RECVERR), X(IP_MTU_DISCOVER),
	X(IP_MTU), X(IP_FREEBIND), X(IP_BIND_ADDRESS_NO_PORT), X(IP_RECVTOS), END
};
const struct tr_xlat tr_ipv6_opts[] = {
	X(IPV6_V6ONLY), X(IPV6_RECVERR), X(IPV6_MTU_DISCOVER), X(IPV6_UNICAST_HOPS),
	X(IPV6_TCLASS), X(IPV6_RECVTCLASS), X(IPV6_MTU), END
};
const struct tr_xlat tr_msg_flags[] = {
	X(MSG_OOB), X(MSG_PEEK), X(MSG_DONTROUTE), X(MSG_CTRUNC), X(MSG_PROXY), X(MSG_TRUNC),
	X(MSG_DONTWAIT), X(MSG_EOR), X(MSG_WAITALL), X(MSG_FIN), X(MSG_SYN), X(MSG_CONFIRM),
	X(MSG_RST), X(MSG_ERRQUEUE), X(MSG_NOSIGNAL), X(MSG_MORE), X(MSG_WAITFORONE),
	X(MSG_FASTOPEN), X(MSG_CMSG_CLOEXEC), END
};
const struct tr_xlat tr_shut_how[] = { X(SHUT_RD), X(SHUT_WR), X(SHUT_RDWR), END };
const struct tr_xlat tr_prot_flags[] = {
	X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC), { 0x8, "PROT_SEM" }, X(PROT_GROWSDOWN), X(PROT_GROWSUP),
	END
};
const struct tr_xlat tr_map_types[] = {
	X(MAP_SHARED), X(MAP_PRIVATE), X(MAP_SHARED_VALIDATE), END
};
const struct tr_xlat tr_map_flags[] = {
	X(MAP_FIXED), X(MAP_ANONYMOUS), X(MAP_32BIT), X(MAP_GROWSDOWN), X(MAP_DENYWRITE),
	X(MAP_EXECUTABLE), X(MAP_LOCKED), X(MAP_NORESERVE), X(MAP_POPULATE), X(MAP_NONBLOCK),
	X(MAP_STACK), X(MAP_HUGETLB), X(MAP_SYNC), X(MAP_FIXED_NOREPLACE), END
};
const struct tr_xlat tr_madvise[] = {
	X(MADV_NORMAL), X(MADV_RANDOM), X(MADV_SEQUENTIAL), X(MADV_WILLNEED), X(MADV_DONTNEED),
	X(MADV_FREE), X(MADV_REMOVE), X(MADV_DONTFORK), X(MADV_DOFORK), X(MADV_MERGEABLE),
	X(MADV_UNMERGEABLE), X(MADV_HUGEPAGE), X(MADV_NOHUGEPAGE), X(MADV_DONTDUMP),
	X(MADV_DODUMP), X(MADV_WIPEONFORK), X(MADV_KEEPONFORK), X(MADV_COLD), X(MADV_PAGEOUT),
	X(MADV_POPULATE_READ), X(MADV_POPULATE_WRITE), X(MADV_HWPOISON), END
};
const struct tr_xlat tr_mremap_flags[] = {
	X(MREMAP_MAYMOVE), X(MREMAP_FIXED), X(MREMAP_DONTUNMAP), END
};
const struct tr_xlat tr_clone_flags[] = {
	X(CLONE_VM), X(CLONE_FS), X(CLONE_FILES), X(CLONE_SIGHAND), X(CLONE_PIDFD),
	X(CLONE_PTRACE), X(CLONE_VFORK), X(CLONE_PARENT), X(CLONE_THREAD), X(CLONE_NEWNS),
	X(CLONE_SYSVSEM), X(CLONE_SETTLS), X(CLONE_PARENT_SETTID), X(CLONE_CHILD_CLEARTID),
	X(CLONE_UNTRACED), X(CLONE_CHILD_SETTID), X(CLONE_NEWCGROUP), X(CLONE_NEWUTS),
	X(CLONE_NEWIPC), X(CLONE_NEWUSER), X(CLONE_NEWPID), X(CLONE_NEWNET), X(CLONE_IO),
	X(CLONE_CLEAR_SIGHAND), X(CLONE_INTO_CGROUP), X(CLONE_NEWTIME), END
};
const struct tr_xlat tr_at_flags[] = {
	X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_SYMLINK_FOLLOW), X(AT_NO_AUTOMOUNT),
	X(AT_EMPTY_PATH), X(AT_STATX_FORCE_SYNC), X(AT_STATX_DONT_SYNC), X(AT_RECURSIVE), END
};
const struct tr_xlat tr_faccessat_flags[] = {
	X(AT_SYMLINK_NOFOLLOW), X(AT_EACCESS), X(AT_EMPTY_PATH), END
};
const struct tr_xlat tr_access_modes[] = { X(R_OK), X(W_OK), X(X_OK), END };
const struct tr_xlat tr_whence[] = {
	X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE), END
};
const struct tr_xlat tr_sighow[] = { X(SIG_BLOCK), X(SIG_UNBLOCK), X(SIG_SETMASK), END };
const struct tr_xlat tr_sa_flags[] = {
	X(SA_NOCLDSTOP), X(SA_NOCLDWAIT), { 0x04000000, "SA_RESTORER" }, X(SA_ONSTACK),
	X(SA_RESTART), X(SA_NODEFER), X(SA_RESETHAND), X(SA_SIGINFO), END
};
const struct tr_xlat tr_fcntl_cmds[] = {
	X(F_DUPFD), X(F_GETFD), X(F_SETFD), X(F_GETFL), X(F_SETFL), X(F_GETLK), X(F_SETLK),
	X(F_SETLKW), X(F_SETOWN), X(F_GETOWN), X(F_SETSIG), X(F_GETSIG), X(F_SETOWN_EX),
	X(F_GETOWN_EX), X(F_OFD_GETLK), X(F_OFD_SETLK), X(F_OFD_SETLKW), X(F_SETLEASE),
	X(F_GETLEASE), X(F_NOTIFY), X(F_DUPFD_CLOEXEC), X(F_SETPIPE_SZ), X(F_GETPIPE_SZ),
	X(F_ADD_SEALS), X(F_GET_SEALS), END
};
const struct tr_xlat tr_fd_cloexec[] = { X(FD_CLOEXEC), END };
const struct tr_xlat tr_lock_types[] = { X(F_RDLCK), X(F_WRLCK), X(F_UNLCK), END };
const struct tr_xlat tr_seals[] = {
	X(F_SEAL_SEAL), X(F_SEAL_SHRINK), X(F_SEAL_GROW), X(F_SEAL_WRITE), X(F_SEAL_FUTURE_WRITE),
	END
};
const struct tr_xlat tr_ioctls[] = {
	X(TCGETS), X(TCSETS), X(TCSETSW), X(TCSETSF), X(TCGETA), X(TCSETA), X(TCSBRK), X(TCXONC),
	X(TCFLSH), X(TIOCEXCL), X(TIOCNXCL), X(TIOCSCTTY), X(TIOCGPGRP), X(TIOCSPGRP),
	X(TIOCOUTQ), X(TIOCSTI), X(TIOCGWINSZ), X(TIOCSWINSZ), X(TIOCMGET), X(TIOCMSET),
	X(FIONREAD), X(TIOCLINUX), X(TIOCCONS), X(FIONBIO), X(TIOCNOTTY), X(TIOCGSID),
	X(TIOCGPTN), X(TIOCSPTLCK), X(FIONCLEX), X(FIOCLEX), X(FIOASYNC), X(TIOCGPTPEER),
	{ 0x40049409, "BTRFS_IOC_CLONE or FICLONE" }, { 0x4020940d, "BTRFS_IOC_CLONE_RANGE or FICLONERANGE" },
	{ 0x80086601, "FS_IOC_GETFLAGS" }, { 0x40086602, "FS_IOC_SETFLAGS" }, END
};
const struct tr_xlat tr_arch_prctl[] = {
	X(ARCH_SET_GS), X(ARCH_SET_FS), X(ARCH_GET_FS), X(ARCH_GET_GS), X(ARCH_GET_CPUID),
	X(ARCH_SET_CPUID), END
};
const struct tr_xlat tr_rlimits[] = {
	X(RLIMIT_CPU), X(RLIMIT_FSIZE), X(RLIMIT_DATA), X(RLIMIT_STACK), X(RLIMIT_CORE),
	X(RLIMIT_RSS), X(RLIMIT_NPROC), X(RLIMIT_NOFILE), X(RLIMIT_MEMLOCK), X(RLIMIT_AS),
	X(RLIMIT_LOCKS), X(RLIMIT_SIGPENDING), X(RLIMIT_MSGQUEUE), X(RLIMIT_NICE),
	X(RLIMIT_RTPRIO), X(RLIMIT_RTTIME), END
};
const struct tr_xlat tr_grnd_flags[] = { X(GRND_NONBLOCK), X(GRND_RANDOM), X(GRND_INSECURE), END };
const struct tr_xlat tr_futex_ops[] = {
	X(FUTEX_WAIT), X(FUTEX_WAKE), X(FUTEX_FD), X(FUTEX_REQUEUE), X(FUTEX_CMP_REQUEUE),
	X(FUTEX_WAKE_OP), X(FUTEX_LOCK_PI), X(FUTEX_UNLOCK_PI), X(FUTEX_TRYLOCK_PI),
	X(FUTEX_WAIT_BITSET), X(FUTEX_WAKE_BITSET), X(FUTEX_WAIT_REQUEUE_PI),
	X(FUTEX_CMP_REQUEUE_PI), X(FUTEX_LOCK_PI2), END
};
const struct tr_xlat tr_clocks[] = {
	X(CLOCK_REALTIME), X(CLOCK_MONOTONIC), X(CLOCK_PROCESS_CPUTIME_ID),
	X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE),
	X(CLOCK_MONOTONIC_COARSE), X(CLOCK_BOOTTIME), X(CLOCK_REALTIME_ALARM),
	X(CLOCK_BOOTTIME_ALARM), X(CLOCK_TAI), END
};
const struct tr_xlat tr_timer_flags[] = { X(TIMER_ABSTIME), END };
const struct tr_xlat tr_wait_opts[] = {
	X(WNOHANG), X(WUNTRACED), X(WEXITED), X(WCONTINUED), X(WNOWAIT), X(__WNOTHREAD),
	X(__WALL), X(__WCLONE), END
};
const struct tr_xlat tr_epoll_ops[] = {
	X(EPOLL_CTL_ADD), X(EPOLL_CTL_DEL), X(EPOLL_CTL_MOD), END
};
const struct tr_xlat tr_epoll_events[] = {
	X(EPOLLIN), X(EPOLLPRI), X(EPOLLOUT), X(EPOLLERR), X(EPOLLHUP), { 0x20, "EPOLLNVAL" },
	X(EPOLLRDNORM), X(EPOLLRDBAND), X(EPOLLWRNORM), X(EPOLLWRBAND), X(EPOLLMSG),
	X(EPOLLRDHUP), X(EPOLLEXCLUSIVE), X(EPOLLWAKEUP), X(EPOLLONESHOT), X(EPOLLET), END
};
const struct tr_xlat tr_epoll_flags[] = { X(EPOLL_CLOEXEC), END };
const struct tr_xlat tr_poll_events[] = {
	X(POLLIN), X(POLLPRI), X(POLLOUT), X(POLLERR), X(POLLHUP), X(POLLNVAL), X(POLLRDNORM),
	X(POLLRDBAND), X(POLLWRNORM), X(POLLWRBAND), X(POLLMSG), X(POLLRDHUP), END
};
const struct tr_xlat tr_statx_masks[] = {
	{ 0xfff, "STATX_ALL" }, { 0x7ff, "STATX_BASIC_STATS" }, X(STATX_TYPE), X(STATX_MODE),
	X(STATX_NLINK), X(STATX_UID), X(STATX_GID), X(STATX_ATIME), X(STATX_MTIME),
	X(STATX_CTIME), X(STATX_INO), X(STATX_SIZE), X(STATX_BLOCKS), X(STATX_BTIME),
	{ 0x1000, "STATX_MNT_ID" }, { 0x2000, "STATX_DIOALIGN" }, END
};
const struct tr_xlat tr_statx_attrs[] = {
	{ 0x4, "STATX_ATTR_COMPRESSED" }, { 0x10, "STATX_ATTR_IMMUTABLE" },
	{ 0x20, "STATX_ATTR_APPEND" }, { 0x40, "STATX_ATTR_NODUMP" },
	{ 0x800, "STATX_ATTR_ENCRYPTED" }, { 0x1000, "STATX_ATTR_AUTOMOUNT" },
	{ 0x2000, "STATX_ATTR_MOUNT_ROOT" }, { 0x100000, "STATX_ATTR_VERITY" },
	{ 0x200000, "STATX_ATTR_DAX" }, END
};
const struct tr_xlat tr_rename_flags[] = {
	{ 1, "RENAME_NOREPLACE" }, { 2, "RENAME_EXCHANGE" }, { 4, "RENAME_WHITEOUT" }, END
};
const struct tr_xlat tr_fadvise[] = {
	X(POSIX_FADV_NORMAL), X(POSIX_FADV_RANDOM), X(POSIX_FADV_SEQUENTIAL),
	X(POSIX_FADV_WILLNEED), X(POSIX_FADV_DONTNEED), X(POSIX_FADV_NOREUSE), END
};
const struct tr_xlat tr_memfd_flags[] = {
	{ 1, "MFD_CLOEXEC" }, { 2, "MFD_ALLOW_SEALING" }, { 4, "MFD_HUGETLB" }, END
};
const struct tr_xlat tr_close_range_flags[] = {
	X(CLOSE_RANGE_UNSHARE), X(CLOSE_RANGE_CLOEXEC), END
};
const struct tr_xlat tr_prctl_opts[] = {
	X(PR_SET_PDEATHSIG), X(PR_GET_PDEATHSIG), X(PR_GET_DUMPABLE), X(PR_SET_DUMPABLE),
	X(PR_GET_KEEPCAPS), X(PR_SET_KEEPCAPS), X(PR_SET_NAME), X(PR_GET_NAME),
	X(PR_GET_SECCOMP), X(PR_SET_SECCOMP), X(PR_CAPBSET_READ), X(PR_CAPBSET_DROP),
	X(PR_GET_SECUREBITS), X(PR_SET_SECUREBITS), X(PR_SET_TIMERSLACK), X(PR_GET_TIMERSLACK),
	X(PR_SET_MM), X(PR_SET_PTRACER), X(PR_SET_CHILD_SUBREAPER), X(PR_GET_CHILD_SUBREAPER),
	X(PR_SET_NO_NEW_PRIVS), X(PR_GET_NO_NEW_PRIVS), X(PR_GET_TID_ADDRESS),
	X(PR_SET_THP_DISABLE), X(PR_GET_THP_DISABLE), X(PR_CAP_AMBIENT), X(PR_SET_VMA), END
};
const struct tr_xlat tr_si_codes[] = {
	X(SI_USER), X(SI_KERNEL), X(SI_QUEUE), X(SI_TIMER), X(SI_MESGQ), X(SI_ASYNCIO),
	X(SI_SIGIO), X(SI_TKILL), X(SI_ASYNCNL), END
};
const struct tr_xlat tr_cld_codes[] = {
	X(CLD_EXITED), X(CLD_KILLED), X(CLD_DUMPED), X(CLD_TRAPPED), X(CLD_STOPPED),
	X(CLD_CONTINUED), END
};
const struct tr_xlat tr_segv_codes[] = {
	X(SEGV_MAPERR), X(SEGV_ACCERR), X(SEGV_BNDERR), X(SEGV_PKUERR), END
};
const struct tr_xlat tr_bus_codes[] = {
	X(BUS_ADRALN), X(BUS_ADRERR), X(BUS_OBJERR), X(BUS_MCEERR_AR), X(BUS_MCEERR_AO), END
};
const struct tr_xlat tr_ill_codes[] = {
	X(ILL_ILLOPC), X(ILL_ILLOPN), X(ILL_ILLADR), X(ILL_ILLTRP), X(ILL_PRVOPC), X(ILL_PRVREG),
	X(ILL_COPROC), X(ILL_BADSTK), { 9, "ILL_BADIADDR" }, END
};
const struct tr_xlat tr_fpe_codes[] = {
	X(FPE_INTDIV), X(FPE_INTOVF), X(FPE_FLTDIV), X(FPE_FLTOVF), X(FPE_FLTUND), X(FPE_FLTRES),
	X(FPE_FLTINV), X(FPE_FLTSUB), { 14, "FPE_FLTUNK" }, { 15, "FPE_CONDTRAP" }, END
};
const struct tr_xlat tr_trap_codes[] = {
	X(TRAP_BRKPT), X(TRAP_TRACE), { 3, "TRAP_BRANCH" }, { 4, "TRAP_HWBKPT" }, { 5, "TRAP_UNK" },
	{ 6, "TRAP_PERF" }, END
};
const struct tr_xlat tr_sys_codes[] = { { 1, "SYS_SECCOMP" }, { 2, "SYS_USER_DISPATCH" }, END };
const struct tr_xlat tr_poll_codes[] = {
	X(POLL_IN), X(POLL_OUT), X(POLL_MSG), X(POLL_ERR), X(POLL_PRI), X(POLL_HUP), END
};
const struct tr_xlat tr_ss_flags[] = { X(SS_ONSTACK), X(SS_DISABLE), END };
const struct tr_xlat tr_itimers[] = { X(ITIMER_REAL), X(ITIMER_VIRTUAL), X(ITIMER_PROF), END };
const struct tr_xlat tr_sched_policies[] = { { 0, "SCHED_OTHER" }, { 1, "SCHED_FIFO" },
	{ 2, "SCHED_RR" }, { 3, "SCHED_BATCH" }, { 5, "SCHED_IDLE" }, END };
const struct tr_xlat tr_flock_ops[] = { X(LOCK_SH), X(LOCK_EX), X(LOCK_NB), X(LOCK_UN), END };
