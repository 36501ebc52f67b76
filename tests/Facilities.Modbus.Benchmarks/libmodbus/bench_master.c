/*
 * libmodbus reference master for the Modbus benchmark.
 *
 * Usage: bench_master HOST PORT WARMUP_SECONDS MEASURE_SECONDS
 *
 * Opens one Modbus TCP connection, reads 10 holding registers at address 0 of unit 1 one request at a time,
 * first for WARMUP_SECONDS (not counted), then for MEASURE_SECONDS, and prints one line:
 *   transactions=N seconds=S tps=X
 * Any failed read ends the run with exit status 1, so a broken server never reports a figure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <modbus.h>

#define REGISTERS 10

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads until the deadline; returns the number of transactions, or -1 on the first failure. */
static long read_until(modbus_t *ctx, double deadline)
{
    uint16_t registers[REGISTERS];
    long transactions = 0;
    do {
        /* Checking the clock every 16 requests keeps its cost out of the figure without overshooting the deadline. */
        for (int i = 0; i < 16; i++) {
            if (modbus_read_registers(ctx, 0, REGISTERS, registers) != REGISTERS) {
                fprintf(stderr, "bench_master: read failed: %s\n", modbus_strerror(errno));
                return -1;
            }
        }
        transactions += 16;
    } while (now_seconds() < deadline);
    return transactions;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s HOST PORT WARMUP_SECONDS MEASURE_SECONDS\n", argv[0]);
        return 2;
    }

    const char *host = argv[1];
    int port = atoi(argv[2]);
    double warmup = atof(argv[3]);
    double measure = atof(argv[4]);

    modbus_t *ctx = modbus_new_tcp(host, port);
    if (ctx == NULL) {
        fprintf(stderr, "bench_master: cannot create context: %s\n", modbus_strerror(errno));
        return 1;
    }

    modbus_set_slave(ctx, 1);
    modbus_set_response_timeout(ctx, 1, 0);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "bench_master: cannot connect to %s:%d: %s\n", host, port, modbus_strerror(errno));
        modbus_free(ctx);
        return 1;
    }

    /* Both benchmark servers hold each register's own address: a wrong value means a wrong server or a broken one. */
    uint16_t first[REGISTERS];
    if (modbus_read_registers(ctx, 0, REGISTERS, first) != REGISTERS) {
        fprintf(stderr, "bench_master: first read failed: %s\n", modbus_strerror(errno));
        modbus_free(ctx);
        return 1;
    }
    for (int i = 0; i < REGISTERS; i++) {
        if (first[i] != i) {
            fprintf(stderr, "bench_master: register %d reads %u, expected %d\n", i, first[i], i);
            modbus_free(ctx);
            return 1;
        }
    }

    int status = 1;
    if (read_until(ctx, now_seconds() + warmup) >= 0) {
        double start = now_seconds();
        long transactions = read_until(ctx, start + measure);
        double elapsed = now_seconds() - start;
        if (transactions >= 0) {
            printf("transactions=%ld seconds=%.6f tps=%.1f\n", transactions, elapsed, transactions / elapsed);
            status = 0;
        }
    }

    modbus_close(ctx);
    modbus_free(ctx);
    return status;
}
