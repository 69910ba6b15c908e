/* xlat.h -- the constant-name tables (xlat.c) */
#ifndef TRACER_XLAT_H
#define TRACER_XLAT_H

#include "decode.h"

extern const struct tr_xlat tr_open_flags[];
extern const struct tr_xlat tr_fd_flags[];
extern const struct tr_xlat tr_file_types[];
extern const struct tr_xlat tr_families[];
extern const struct tr_xlat tr_socktypes[];
extern const struct tr_xlat tr_sock_flags[];
extern const struct tr_xlat tr_ip_protos[];
extern const struct tr_xlat tr_sol_levels[];
extern const struct tr_xlat tr_so_opts[];
extern const struct tr_xlat tr_tcp_opts[];
extern const struct tr_xlat tr_ip_opts[];
extern const struct tr_xlat tr_ipv6_opts[];
extern const struct tr_xlat tr_msg_flags[];
extern const struct tr_xlat tr_shut_how[];
extern const struct tr_xlat tr_prot_flags[];
extern const struct tr_xlat tr_map_types[];
extern const struct tr_xlat tr_map_flags[];
extern const struct tr_xlat tr_madvise[];
extern const struct tr_xlat tr_mremap_flags[];
extern const struct tr_xlat tr_clone_flags[];
extern const struct tr_xlat tr_at_flags[];
extern const struct tr_xlat tr_faccessat_flags[];
extern const struct tr_xlat tr_access_modes[];
extern const struct tr_xlat tr_whence[];
extern const struct tr_xlat tr_sighow[];
extern const struct tr_xlat tr_sa_flags[];
extern const struct tr_xlat tr_fcntl_cmds[];
extern const struct tr_xlat tr_fd_cloexec[];
extern const struct tr_xlat tr_lock_types[];
extern const struct tr_xlat tr_seals[];
extern const struct tr_xlat tr_ioctls[];
extern const struct tr_xlat tr_arch_prctl[];
extern const struct tr_xlat tr_rlimits[];
extern const struct tr_xlat tr_grnd_flags[];
extern const struct tr_xlat tr_futex_ops[];
extern const struct tr_xlat tr_clocks[];
extern const struct tr_xlat tr_timer_flags[];
extern const struct tr_xlat tr_wait_opts[];
extern const struct tr_xlat tr_epoll_ops[];
extern const struct tr_xlat tr_epoll_events[];
extern const struct tr_xlat tr_epoll_flags[];
extern const struct tr_xlat tr_poll_events[];
extern const struct tr_xlat tr_statx_masks[];
extern const struct tr_xlat tr_statx_attrs[];
extern const struct tr_xlat tr_rename_flags[];
extern const struct tr_xlat tr_fadvise[];
extern const struct tr_xlat tr_memfd_flags[];
extern const struct tr_xlat tr_close_range_flags[];
extern const struct tr_xlat tr_prctl_opts[];
extern const struct tr_xlat tr_si_codes[];
extern const struct tr_xlat tr_cld_codes[];
extern const struct tr_xlat tr_segv_codes[];
extern const struct tr_xlat tr_bus_codes[];
extern const struct tr_xlat tr_ill_codes[], tr_fpe_codes[], tr_trap_codes[], tr_sys_codes[], tr_poll_codes[];
extern const struct tr_xlat tr_ss_flags[];
extern const struct tr_xlat tr_itimers[];
extern const struct tr_xlat tr_sched_policies[];
extern const struct tr_xlat tr_flock_ops[];

#endif
