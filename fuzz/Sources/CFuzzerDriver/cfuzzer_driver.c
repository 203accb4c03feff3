// Header-only: LLVMFuzzerRunDriver is defined by libFuzzer. SwiftPM wants a source file in a C target.
#include "cfuzzer_driver.h"
