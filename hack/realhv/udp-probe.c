/* Traffic probe: sends sequence-numbered UDP datagrams at RATE per second for SECONDS to HOST:PORT and records
 * when each echo comes back. Prints one line of key=value: sent, echoed, lost, the longest gap between two
 * consecutive echoes (ms) and when it started (s since the first send), the wall-clock time of the first send
 * (t0_epoch_ms), and every gap over 50 ms as start_s:length_ms (gaps=...), to match gaps with migration steps.
 * Usage: udp-probe HOST PORT RATE SECONDS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_GAPS 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: udp-probe HOST PORT RATE SECONDS\n");
        return 2;
    }
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    long total = (long)(rate * seconds);
    unsigned char *seen = calloc((size_t)total + 1, 1);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    if (!seen || s < 0 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1
            || connect(s, (struct sockaddr *)&to, sizeof to) < 0) {
        perror("udp-probe");
        return 1;
    }
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    double gap_start[MAX_GAPS], gap_len[MAX_GAPS];
    int gaps = 0;
    double t0 = now(), last_rx = -1, max_gap = 0, gap_at = 0, first_rx = -1;
    long sent = 0, echoed = 0;
    while (1) {
        double t = now() - t0;
        if (t > seconds + 0.5) break;
        while (sent < total && sent <= (long)(t * rate)) {
            uint32_t seq = htonl((uint32_t)sent);
            if (send(s, &seq, sizeof seq, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED) break;
            sent++;
        }
        uint32_t got;
        while (recv(s, &got, sizeof got, 0) == (ssize_t)sizeof got) {
            uint32_t q = ntohl(got);
            double r = now() - t0;
            if (q < (uint32_t)total && !seen[q]) {
                seen[q] = 1;
                echoed++;
            }
            if (last_rx >= 0 && r - last_rx > 0.05 && gaps < MAX_GAPS) {
                gap_start[gaps] = last_rx;
                gap_len[gaps++] = r - last_rx;
            }
            if (last_rx >= 0 && r - last_rx > max_gap) {
                max_gap = r - last_rx;
                gap_at = last_rx;
            }
            if (first_rx < 0) first_rx = r;
            last_rx = r;
        }
        usleep(50);
    }
    printf("sent=%ld echoed=%ld lost=%ld max_gap_ms=%.1f gap_at_s=%.3f first_echo_s=%.3f t0_epoch_ms=%lld gaps=",
           sent, echoed, sent - echoed, max_gap * 1000, gap_at, first_rx,
           (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000);
    for (int i = 0; i < gaps; i++) printf("%s%.3f:%.0f", i ? "," : "", gap_start[i], gap_len[i] * 1000);
    printf("\n");
    return 0;
}
