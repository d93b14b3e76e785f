/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGSYS handler's view of a trapped system call on the build architecture:
 * SB_AUDIT_ARCH, sb_si_syscall(), sb_si_arch(), sb_si_call_addr(), sb_uc_syscall_nr(),
 * sb_uc_arg(), sb_uc_set_return() and sb_uc_ip(). Check sb_si_arch() == SB_AUDIT_ARCH before
 * trusting the register map, and act on sb_si_syscall() for the number.
 */
#pragma once

#if defined(__x86_64__)
#include "arch-x86_64.h"
#elif defined(__aarch64__)
#include "arch-aarch64.h"
#else
#error "sysbroker: unsupported architecture"
#endif
