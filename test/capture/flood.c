/*
 * A bounded UDP sender for bpfkit's capture tests and benchmark: sends
 * datagrams to one address and port at a given rate for a given time, then
 * prints how many it sent. Run only inside the test's own namespaces.
 *
 * usage: flood DST_IPV4 DST_PORT PPS SECONDS [PAYLOAD_BYTES] [MAX_COUNT] [SRC_PORT]
 *   PPS 0 sends as fast as it can. MAX_COUNT 0 means no limit but time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: flood DST_IPV4 DST_PORT PPS SECONDS [PAYLOAD_BYTES] [MAX_COUNT] [SRC_PORT]\n");
    return 2;
  }
  struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", argv[1]); return 2; }
  double pps = atof(argv[3]), seconds = atof(argv[4]);
  int payload = argc > 5 ? atoi(argv[5]) : 18;
  long long max = argc > 6 ? atoll(argv[6]) : 0;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 1; }
  if (argc > 7) {
    struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[7])) };
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) { perror("bind"); return 1; }
  }
  /* Datagrams go out in batches of up to BATCH per sendmmsg(), each with its sequence number. */
  enum { BATCH = 64, MAXPAYLOAD = 9000 };
  static char bufs[BATCH][MAXPAYLOAD];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  if (payload < 8) payload = 8;
  if (payload > MAXPAYLOAD) payload = MAXPAYLOAD;
  memset(bufs, 'x', sizeof bufs);
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = payload;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &dst;
    msgs[i].msg_hdr.msg_namelen = sizeof dst;
  }
  long long sent = 0, errors = 0;
  double start = now(), end = start + seconds;
  for (;;) {
    double t = now();
    if (t >= end || (max && sent >= max)) break;
    /* Pace: send until we are back on schedule, then yield a little. */
    long long due = pps > 0 ? (long long)((t - start) * pps) + 1 : sent + 64;
    if (max && due > max) due = max;
    while (sent < due) {
      int n = due - sent < BATCH ? (int)(due - sent) : BATCH;
      for (int i = 0; i < n; i++) {
        uint64_t seq = (uint64_t)(sent + i);
        memcpy(bufs[i], &seq, sizeof seq);
      }
      int done = sendmmsg(fd, msgs, n, 0);
      if (done <= 0) {
        /* ENOBUFS and friends: the sender outran the device; pause, retry on the next round. */
        errors++;
        usleep(50);
        break;
      }
      sent += done;
    }
    if (pps > 0 && pps < 200000) usleep(200);
  }
  printf("%lld\n", sent);
  if (errors) fprintf(stderr, "%lld send errors\n", errors);
  return 0;
}
