/*
 * The reference side of bench/jit.bench.ts: times libpcap's own bpf_filter()
 * over exactly the packets and Programs the TypeScript side times, in the
 * same run.
 *
 *   bpf_filter_bench PACKETS SLICE ROUNDS REPS
 *
 * PACKETS  a raw dump: u32 count, then per packet u32 caplen, u32 wirelen and
 *          caplen bytes (all little-endian); loaded into one buffer.
 * SLICE    how many leading packets form the in-cache slice; ROUNDS how many
 *          times the slice is filtered per repetition.
 * REPS     repetitions; the median is reported.
 *
 * Then reads one Program per line on stdin ("N c,jt,jf,k c,jt,jf,k ...") and
 * answers each at once, so the caller can time its own engines on the same
 * filter right after (machine load drifts; neighbours in time compare best):
 *   "slice MEDIAN MIN MATCHES FLOOR_MEDIAN FLOOR_MIN full MEDIAN MIN MATCHES FLOOR_MEDIAN FLOOR_MIN"
 * (ns/packet; matches of one pass). The floor is the least any filter must do
 * per packet, timed in the same breath: find the packet, check its length,
 * read one header byte and store a per-packet result. No filter, compiled or
 * not, can run under it on the same packets; a row whose filter costs about
 * the floor is bound by the memory system, not by the filter.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t read_u32(FILE *f) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) { fprintf(stderr, "bpf_filter_bench: truncated packet file\n"); exit(2); }
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* CPU time of this (single-threaded) process when BPFKIT_BENCH_CLOCK is "cpu"
 * (the default of the TypeScript side, which sets it): on a shared machine it
 * counts only the time we actually ran. */
static clockid_t which_clock = CLOCK_MONOTONIC;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(which_clock, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Filters packets [0, n) `rounds` times; returns the matches of one pass. */
static unsigned long pass(const struct bpf_insn *prog, const unsigned char *data, const uint64_t *off,
                          const uint32_t *cap, const uint32_t *wire, uint32_t n, int rounds) {
    unsigned long matches = 0;
    for (int r = 0; r < rounds; r++)
        for (uint32_t i = 0; i < n; i++)
            matches += bpf_filter(prog, data + off[i], wire[i], cap[i]) != 0;
    return matches / (unsigned long)rounds;
}

/* The floor: per packet, the caplen check and one header byte (the EtherType's
 * high byte, what nearly every filter reads first) stored as the packet's result.
 * noinline keeps the compiler from fusing it with the caller's loop. */
static uint32_t *floor_out;

__attribute__((noinline))
static void floor_pass(const unsigned char *data, const uint64_t *off, const uint32_t *cap, uint32_t n, int rounds) {
    for (int r = 0; r < rounds; r++)
        for (uint32_t i = 0; i < n; i++)
            floor_out[i] = cap[i] > 12 ? data[off[i] + 12] : 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bpf_filter_bench PACKETS SLICE ROUNDS REPS < PROGRAMS\n");
        return 2;
    }
    const char *clock_name = getenv("BPFKIT_BENCH_CLOCK");
    if (clock_name && strcmp(clock_name, "cpu") == 0) which_clock = CLOCK_PROCESS_CPUTIME_ID;
    uint32_t slice = (uint32_t)strtoul(argv[2], NULL, 10);
    int rounds = atoi(argv[3]), reps = atoi(argv[4]);
    FILE *pf = fopen(argv[1], "rb");
    if (!pf) { perror(argv[1]); return 2; }
    uint32_t n = read_u32(pf);
    uint64_t *off = malloc(n * sizeof *off);
    uint32_t *cap = malloc(n * sizeof *cap), *wire = malloc(n * sizeof *wire);
    size_t size = 0, room = 1 << 20;
    unsigned char *data = malloc(room);
    for (uint32_t i = 0; i < n; i++) {
        cap[i] = read_u32(pf);
        wire[i] = read_u32(pf);
        while (size + cap[i] > room) data = realloc(data, room *= 2);
        if (fread(data + size, 1, cap[i], pf) != cap[i]) { fprintf(stderr, "bpf_filter_bench: truncated packet %u\n", i); return 2; }
        off[i] = size;
        size += cap[i];
    }
    fclose(pf);
    if (slice > n) slice = n;

    FILE *gf = stdin;
    char *line = NULL;
    size_t linecap = 0;
    double *times = malloc(reps * sizeof *times), *floor_times = malloc(reps * sizeof *floor_times);
    floor_out = calloc(n ? n : 1, sizeof *floor_out);
    for (int index = 0; getline(&line, &linecap, gf) > 0; index++) {
        char *save = NULL;
        int len = atoi(strtok_r(line, " \n", &save));
        struct bpf_insn *prog = calloc(len, sizeof *prog);
        for (int j = 0; j < len; j++) {
            unsigned c, jt, jf, k;
            char *t = strtok_r(NULL, " \n", &save);
            if (!t || sscanf(t, "%u,%u,%u,%u", &c, &jt, &jf, &k) != 4) { fprintf(stderr, "bad program line %d\n", index); return 2; }
            prog[j].code = (unsigned short)c; prog[j].jt = (unsigned char)jt; prog[j].jf = (unsigned char)jf; prog[j].k = k;
        }
        for (int mode = 0; mode < 2; mode++) {
            uint32_t count = mode == 0 ? slice : n;
            int rr = mode == 0 ? rounds : 1;
            unsigned long matches = pass(prog, data, off, cap, wire, count, 1); /* warm-up */
            floor_pass(data, off, cap, count, 1);
            /* Filter and floor alternate, so both see the same machine load. */
            for (int r = 0; r < reps; r++) {
                double a = now_ns();
                matches = pass(prog, data, off, cap, wire, count, rr);
                double b = now_ns();
                floor_pass(data, off, cap, count, rr);
                double c = now_ns();
                times[r] = (b - a) / ((double)count * rr);
                floor_times[r] = (c - b) / ((double)count * rr);
            }
            qsort(times, reps, sizeof *times, cmp_double);
            qsort(floor_times, reps, sizeof *floor_times, cmp_double);
            printf("%s%s %.3f %.3f %lu %.3f %.3f", mode == 0 ? "" : " ", mode == 0 ? "slice" : "full", times[reps / 2], times[0], matches,
                   floor_times[reps / 2], floor_times[0]);
        }
        printf("\n");
        fflush(stdout);
        free(prog);
    }
    free(line);
    return 0;
}
