/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, one definition per target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
