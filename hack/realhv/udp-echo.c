/* The guest's UDP echo: every datagram received on the port goes back to its sender unchanged.
 * Built static by build-guest.sh (the guest has only busybox). Usage: udp-echo PORT */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 9999;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof me) < 0) {
        perror("udp-echo");
        return 1;
    }
    printf("udp-echo listening on %d\n", port);
    fflush(stdout);
    char buf[2048];
    for (;;) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len);
        if (n >= 0) {
            sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
        }
    }
}
