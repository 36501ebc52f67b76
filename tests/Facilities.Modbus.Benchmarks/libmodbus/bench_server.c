/*
 * libmodbus reference server for the Modbus benchmark.
 *
 * Usage: bench_server PORT LIFETIME_SECONDS
 *
 * Listens on 127.0.0.1:PORT (0 picks a free port), prints "listening on port N" once it accepts connections, and
 * serves 100 holding registers from address 0 (each holding its own address) to one connection at a time, the next
 * after the previous closes, until it is killed or LIFETIME_SECONDS have passed, so a benchmark that crashed leaves
 * no server behind for long. libmodbus's TCP server answers every unit id.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#define REGISTERS 100

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT LIFETIME_SECONDS\n", argv[0]);
        return 2;
    }

    alarm((unsigned)atoi(argv[2])); /* SIGALRM's default action ends the process. */

    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[1]));
    modbus_mapping_t *mapping = modbus_mapping_new(0, 0, REGISTERS, 0);
    if (ctx == NULL || mapping == NULL) {
        fprintf(stderr, "bench_server: cannot allocate: %s\n", modbus_strerror(errno));
        return 1;
    }

    for (int i = 0; i < REGISTERS; i++) {
        mapping->tab_registers[i] = (uint16_t)i;
    }

    int listener = modbus_tcp_listen(ctx, 16);
    if (listener == -1) {
        fprintf(stderr, "bench_server: cannot listen: %s\n", modbus_strerror(errno));
        return 1;
    }

    struct sockaddr_in bound;
    socklen_t bound_length = sizeof bound;
    if (getsockname(listener, (struct sockaddr *)&bound, &bound_length) == -1) {
        perror("bench_server: getsockname");
        return 1;
    }

    printf("listening on port %d\n", ntohs(bound.sin_port));
    fflush(stdout);

    uint8_t request[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        int client = modbus_tcp_accept(ctx, &listener);
        if (client == -1) {
            fprintf(stderr, "bench_server: accept failed: %s\n", modbus_strerror(errno));
            continue;
        }

        /* Same as the .NET server: a reply goes out at once rather than waiting for more data to coalesce. */
        int on = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);

        for (;;) {
            int length = modbus_receive(ctx, request);
            if (length > 0) {
                modbus_reply(ctx, request, length, mapping);
            } else if (length == -1) {
                break; /* The master closed the connection (or sent garbage): serve the next one. */
            }
        }

        close(client);
    }
}
