#ifndef CFUZZER_DRIVER_H
#define CFUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that keep their own main (libclang_rt.fuzzer, linked by -sanitize=fuzzer).
// SwiftPM links every executable with `--defsym main=<Module>_main`, so libFuzzer's own main is never used and
// each fuzzer's main.swift calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
