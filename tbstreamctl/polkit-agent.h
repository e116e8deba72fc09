/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

/*
 * polkit's text agent (pkttyagent), as systemd's tools start it: only when
 * asked, not for root, and when standard input is a terminal; registered before the call that may
 * need a password, and stopped afterwards. Returns the agent's pid, or 0 when
 * none was started (none is needed, or it could not run: then polkit answers
 * as without an agent).
 */
pid_t polkit_agent_open(void);
void polkit_agent_close(pid_t pid);
