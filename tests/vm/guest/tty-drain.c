// SPDX-License-Identifier: GPL-2.0
/*
 * tty-drain: wait until everything written to the terminal on standard
 * input has left its UART (tcdrain(3)).  A pair guest (tests/vm/emu/pair)
 * powers off right after its last line to the other guest; what the UART
 * had not sent by then is lost, and the other guest waits for it in vain.
 *
 *   tty-drain <&3
 *
 * Exit status: 0 when drained, 1 with a message otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <termios.h>

int main(void)
{
	if (tcdrain(0)) {
		fprintf(stderr, "tty-drain: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
