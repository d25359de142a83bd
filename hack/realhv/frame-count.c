/* Counts the Ethernet frames of one EtherType sent by one MAC address that reach IFACE within SECONDS, and prints
 * "frames=N". The real-hypervisor tier runs it in the client namespace to see QEMU's announce-self: a RARP (EtherType
 * 0x8035) broadcast from each of the guest's NICs, which the guest LAN's bridge floods to the client.
 * Usage: frame-count IFACE ETHERTYPE_HEX MAC SECONDS   (root: it opens a packet socket) */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s IFACE ETHERTYPE_HEX MAC SECONDS\n", argv[0]);
        return 2;
    }
    unsigned type = (unsigned) strtoul(argv[2], NULL, 16);
    unsigned char mac[6];
    if (sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
        fprintf(stderr, "not a MAC address: %s\n", argv[3]);
        return 2;
    }
    double seconds = atof(argv[4]);
    int s = socket(AF_PACKET, SOCK_RAW, htons(type));
    if (s < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_ll at = {.sll_family = AF_PACKET, .sll_protocol = htons(type), .sll_ifindex = if_nametoindex(argv[1])};
    if (at.sll_ifindex == 0 || bind(s, (struct sockaddr *) &at, sizeof at) < 0) {
        perror(argv[1]);
        return 1;
    }
    struct timeval tick = {.tv_sec = 0, .tv_usec = 100000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long frames = 0;
    unsigned char buf[2048];
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds) {
            break;
        }
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n >= (ssize_t) sizeof(struct ether_header) && memcmp(buf + 6, mac, 6) == 0) {
            frames++;
        }
    }
    printf("frames=%ld\n", frames);
    return 0;
}
