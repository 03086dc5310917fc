/* What the CPU offers, read once with CPUID through the compiler's cpu-model support (which
 * also checks that the operating system saves the wider registers, via XGETBV). */
#include "ckernels.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

ck_cpu_features ck_cpu_features_read(void) {
    ck_cpu_features f;
    memset(&f, 0, sizeof f);
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.x86 = 1;
    f.avx = __builtin_cpu_supports("avx") != 0;
    f.avx2 = __builtin_cpu_supports("avx2") != 0;
    f.fma = __builtin_cpu_supports("fma") != 0;
    f.avx512f = __builtin_cpu_supports("avx512f") != 0;
    f.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
    f.avx512dq = __builtin_cpu_supports("avx512dq") != 0;
    f.avx512vl = __builtin_cpu_supports("avx512vl") != 0;
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        /* The vendor string is EBX, EDX, ECX. */
        memcpy(f.vendor + 0, &ebx, 4);
        memcpy(f.vendor + 4, &edx, 4);
        memcpy(f.vendor + 8, &ecx, 4);
        f.vendor[12] = 0;
    }
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        unsigned int base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
        f.family = (int)(base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family);
        f.model = (int)((base_family == 0x6 || base_family == 0xf)
                        ? (((eax >> 16) & 0xf) << 4) + base_model : base_model);
    }
#endif
    return f;
}
