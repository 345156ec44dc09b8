/*
 * The oracle: Debian's libpcap answering questions over a line protocol, so
 * that tests can compare bpfkit with libpcap on many programs and packets
 * without starting a process per question.
 *
 * Requests (one per line on stdin; every answer is one line on stdout):
 *   compile DLT OPT SNAPLEN NETMASK EXPR   -> "ok N c,jt,jf,k c,jt,jf,k ..." | "err MESSAGE"
 *        DLT is a DLT_ number, OPT 0 or 1, NETMASK a 32-bit number (0 = unknown).
 *   program N c,jt,jf,k ...                -> "ok" (the program later requests use)
 *   validate                               -> "ok 1" | "ok 0"   (bpf_validate of the program)
 *   run N WIRELEN:HEX WIRELEN:HEX ...      -> "ok R R ..."  bpf_filter() on each packet;
 *        the captured length is the number of bytes in HEX ("-" for none).
 *   time REPS N WIRELEN:HEX ...            -> "ok NANOSECONDS MATCHES"  all packets REPS times
 *   image                                  -> "ok HEX HEX ..." bpf_image() of each instruction of the
 *        program, each line hex-encoded (tcpdump -d prints these lines)
 *   attach                                 -> "ok 1" | "ok 0 ERRNO"  whether the running Linux kernel
 *        accepts the program as a socket filter (SO_ATTACH_FILTER on a UDP socket)
 *   kernelrun N WIRELEN:HEX ...            -> "ok L L ..." | "err ERRNO"  runs the program in the Linux
 *        kernel as the socket filter of a UNIX datagram socketpair: each packet is sent as
 *        one datagram; L is the length received (the filter's result caps it) or -1 when
 *        the filter dropped it. WIRELEN is ignored (the kernel sees the datagram's length).
 *   timecompile DLT OPT REPS EXPR          -> "ok NANOSECONDS"  pcap_compile() REPS times
 *   quit
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/filter.h>

static struct bpf_insn *prog;
static int prog_len;

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parses "WIRELEN:HEX" into buf; returns captured length or -1. */
static long parse_packet(char *tok, unsigned char *buf, size_t cap, unsigned *wirelen) {
    char *colon = strchr(tok, ':');
    if (!colon) return -1;
    *colon = 0;
    *wirelen = (unsigned)strtoul(tok, NULL, 10);
    char *h = colon + 1;
    if (strcmp(h, "-") == 0) return 0;
    size_t n = strlen(h);
    if (n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
        if (a < 0 || b < 0) return -1;
        buf[i] = (unsigned char)(a * 16 + b);
    }
    return (long)(n / 2);
}

static void print_program(const struct bpf_program *p) {
    printf("ok %u", p->bf_len);
    for (unsigned i = 0; i < p->bf_len; i++) {
        const struct bpf_insn *x = &p->bf_insns[i];
        printf(" %u,%u,%u,%u", x->code, x->jt, x->jf, x->k);
    }
    printf("\n");
}

int main(void) {
    size_t linecap = 1 << 20;
    char *line = NULL;
    ssize_t got;
    unsigned char *pkt = malloc(1 << 18);
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    while ((got = getline(&line, &linecap, stdin)) > 0) {
        if (line[got - 1] == '\n') line[--got] = 0;
        char *save = NULL;
        char *cmd = strtok_r(line, " ", &save);
        if (!cmd) { printf("err empty request\n"); fflush(stdout); continue; }
        if (strcmp(cmd, "compile") == 0) {
            int dlt = atoi(strtok_r(NULL, " ", &save));
            int opt = atoi(strtok_r(NULL, " ", &save));
            int snaplen = atoi(strtok_r(NULL, " ", &save));
            unsigned netmask = (unsigned)strtoul(strtok_r(NULL, " ", &save), NULL, 10);
            char *expr = save ? save : (char *)"";
            pcap_t *p = pcap_open_dead(dlt, snaplen);
            struct bpf_program bp;
            if (!p) { printf("err pcap_open_dead failed\n"); }
            else if (pcap_compile(p, &bp, expr, opt, netmask) < 0) {
                char *e = pcap_geterr(p);
                for (char *c = e; *c; c++) if (*c == '\n') *c = ' ';
                printf("err %s\n", e);
            } else {
                print_program(&bp);
                pcap_freecode(&bp);
            }
            if (p) pcap_close(p);
        } else if (strcmp(cmd, "program") == 0) {
            int n = atoi(strtok_r(NULL, " ", &save));
            free(prog);
            prog = calloc(n ? n : 1, sizeof *prog);
            prog_len = n;
            int ok = 1;
            for (int i = 0; i < n; i++) {
                char *t = strtok_r(NULL, " ", &save);
                unsigned c, jt, jf, k;
                if (!t || sscanf(t, "%u,%u,%u,%u", &c, &jt, &jf, &k) != 4) { ok = 0; break; }
                prog[i].code = (unsigned short)c; prog[i].jt = (unsigned char)jt;
                prog[i].jf = (unsigned char)jf; prog[i].k = k;
            }
            printf(ok ? "ok\n" : "err bad program\n");
        } else if (strcmp(cmd, "validate") == 0) {
            printf("ok %d\n", bpf_validate(prog, prog_len));
        } else if (strcmp(cmd, "run") == 0) {
            int n = atoi(strtok_r(NULL, " ", &save));
            printf("ok");
            for (int i = 0; i < n; i++) {
                unsigned wirelen;
                char *t = strtok_r(NULL, " ", &save);
                long caplen = t ? parse_packet(t, pkt, 1 << 18, &wirelen) : -1;
                if (caplen < 0) { printf(" err"); continue; }
                printf(" %u", bpf_filter(prog, pkt, wirelen, (unsigned)caplen));
            }
            printf("\n");
        } else if (strcmp(cmd, "time") == 0) {
            long reps = atol(strtok_r(NULL, " ", &save));
            int n = atoi(strtok_r(NULL, " ", &save));
            unsigned char **pkts = calloc(n, sizeof *pkts);
            unsigned *wl = calloc(n, sizeof *wl), *cl = calloc(n, sizeof *cl);
            for (int i = 0; i < n; i++) {
                char *t = strtok_r(NULL, " ", &save);
                pkts[i] = malloc(1 << 16);
                long c = t ? parse_packet(t, pkts[i], 1 << 16, &wl[i]) : 0;
                cl[i] = c < 0 ? 0 : (unsigned)c;
            }
            struct timespec a, b;
            unsigned long matches = 0;
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (long r = 0; r < reps; r++)
                for (int i = 0; i < n; i++) matches += bpf_filter(prog, pkts[i], wl[i], cl[i]) != 0;
            clock_gettime(CLOCK_MONOTONIC, &b);
            printf("ok %.0f %lu\n", (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec), matches);
            for (int i = 0; i < n; i++) free(pkts[i]);
            free(pkts); free(wl); free(cl);
        } else if (strcmp(cmd, "image") == 0) {
            printf("ok");
            for (int i = 0; i < prog_len; i++) {
                const char *img = bpf_image(&prog[i], i);
                printf(" ");
                if (!*img) printf("-");
                for (const char *c = img; *c; c++) printf("%02x", (unsigned char)*c);
            }
            printf("\n");
        } else if (strcmp(cmd, "attach") == 0) {
            static int sock = -1;
            if (sock < 0) sock = socket(AF_INET, SOCK_DGRAM, 0);
            struct sock_fprog fprog = { (unsigned short)prog_len, (struct sock_filter *)prog };
            if (prog_len > 0xffff) printf("ok 0 %d\n", EINVAL);
            else if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) == 0) printf("ok 1\n");
            else printf("ok 0 %d\n", errno);
        } else if (strcmp(cmd, "kernelrun") == 0) {
            int n = atoi(strtok_r(NULL, " ", &save));
            int sv[2];
            struct sock_fprog fprog = { (unsigned short)prog_len, (struct sock_filter *)prog };
            if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) { printf("err %d\n", errno); fflush(stdout); continue; }
            int bufsize = 1 << 20;
            setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
            if (setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) {
                printf("err %d\n", errno);
            } else {
                printf("ok");
                static unsigned char rbuf[1 << 18];
                for (int i = 0; i < n; i++) {
                    unsigned wirelen;
                    char *t = strtok_r(NULL, " ", &save);
                    long caplen = t ? parse_packet(t, pkt, 1 << 18, &wirelen) : -1;
                    if (caplen < 0) { printf(" err"); continue; }
                    if (send(sv[0], pkt, (size_t)caplen, 0) < 0) { printf(" err"); continue; }
                    ssize_t got = recv(sv[1], rbuf, sizeof rbuf, MSG_DONTWAIT | MSG_TRUNC);
                    printf(" %ld", got < 0 ? -1L : (long)got);
                }
                printf("\n");
            }
            close(sv[0]); close(sv[1]);
        } else if (strcmp(cmd, "timecompile") == 0) {
            /* timecompile DLT OPT REPS EXPR -> "ok NANOSECONDS" | "err MESSAGE": pcap_compile() REPS times */
            int dlt = atoi(strtok_r(NULL, " ", &save));
            int opt = atoi(strtok_r(NULL, " ", &save));
            long reps = atol(strtok_r(NULL, " ", &save));
            char *expr = save ? save : (char *)"";
            pcap_t *p = pcap_open_dead(dlt, 262144);
            struct bpf_program bp;
            struct timespec a, b;
            int failed = 0;
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (long r = 0; r < reps && !failed; r++) {
                if (pcap_compile(p, &bp, expr, opt, 0) < 0) failed = 1;
                else pcap_freecode(&bp);
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (failed) printf("err %s\n", pcap_geterr(p));
            else printf("ok %.0f\n", (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec));
            pcap_close(p);
        } else if (strcmp(cmd, "quit") == 0) {
            break;
        } else {
            printf("err unknown request %s\n", cmd);
        }
        fflush(stdout);
    }
    return 0;
}
