/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bound on the few calls the broker makes that the sandboxee could make wait: a blocking
 * connect on the sandboxee's own socket (its O_NONBLOCK flag is the sandboxee's to change at any
 * moment, so the broker does not rely on it), and the last close of a socket the sandboxee set
 * SO_LINGER on. Between sb_nowait_begin and sb_nowait_end a timer signals the broker's thread
 * every SB_NOWAIT_PERIOD_US; its handler does nothing and is installed without SA_RESTART, so a
 * call that sleeps returns EINTR within one period. Outside, the signal is blocked.
 */
#pragma once

#define SB_NOWAIT_PERIOD_US 1000

/* Arm the timer. 0, or -errno: then the call must not be made (it could block). */
int sb_nowait_begin(void);
/* Disarm it; a signal still pending stays blocked and is harmless. */
void sb_nowait_end(void);
/*
 * Close fd, an fd the broker fetched from the sandboxee (pidfd_getfd): when it is a socket with
 * SO_LINGER on, within sb_nowait_begin/end, so that a last close never waits for the peer. -1.
 */
int sb_close_fetched(int fd);
