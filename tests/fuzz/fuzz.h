/* fuzz.h -- what libFuzzer (or replay.c) calls in every target */
#ifndef ZP_FUZZ_H
#define ZP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
