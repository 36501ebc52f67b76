/*
 * Reference Modbus RTU master for the serial efficiency benchmark: raw termios, one blocking thread, and t3.5 kept
 * to the microsecond (sleep, then spin the last stretch). It reads COUNT input or holding registers at each address
 * of each unit in turn, as the gateway's plan does, and reports what the line and the simulated devices allow a
 * master to achieve, and the devices' turnaround (exchange time minus wire time and the device's t3.5).
 *
 *   rtu_master DEVICE BAUD PARITY UNITS ADDRESSES COUNT FUNCTION WARMUP_S SECONDS TIMEOUT_MS
 *   rtu_master /tmp/line 115200 even 1-8 100,110,120,130 10 4 2 20 500
 *
 * Prints one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void wait_until(int64_t deadline)
{
    int64_t coarse = deadline - 200000; /* sleep to 200 us before, then spin: the timer slack is ~50 us */
    if (coarse > now_ns()) {
        struct timespec t = { .tv_sec = coarse / 1000000000, .tv_nsec = coarse % 1000000000 };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
        }
    }
    while (now_ns() < deadline) {
    }
}

static uint16_t crc16(const uint8_t *data, int length)
{
    uint16_t crc = 0xFFFF;
    for (int i = 0; i < length; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
        }
    }
    return crc;
}

static speed_t speed_of(int baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    default: fprintf(stderr, "rtu_master: unsupported baud rate %d\n", baud); exit(2);
    }
}

int main(int argc, char **argv)
{
    if (argc != 11) {
        fprintf(stderr, "usage: rtu_master DEVICE BAUD PARITY UNITS(first-last) ADDRESSES(a,b,..) COUNT FUNCTION WARMUP_S SECONDS TIMEOUT_MS\n");
        return 2;
    }

    const char *device = argv[1];
    int baud = atoi(argv[2]);
    const char *parity = argv[3];
    int first_unit, last_unit;
    if (sscanf(argv[4], "%d-%d", &first_unit, &last_unit) != 2) {
        fprintf(stderr, "rtu_master: UNITS is first-last, e.g. 1-8\n");
        return 2;
    }

    int addresses[64], address_count = 0;
    for (char *token = strtok(argv[5], ","); token != NULL && address_count < 64; token = strtok(NULL, ",")) {
        addresses[address_count++] = atoi(token);
    }

    int count = atoi(argv[6]);
    int function = atoi(argv[7]);
    double warmup = atof(argv[8]), seconds = atof(argv[9]);
    int timeout_ms = atoi(argv[10]);

    int fd = open(device, O_RDWR | O_NOCTTY);
    if (fd < 0) {
        perror("rtu_master: open");
        return 1;
    }

    struct termios tio;
    tcgetattr(fd, &tio);
    cfmakeraw(&tio);
    cfsetspeed(&tio, speed_of(baud));
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(PARENB | PARODD | CSTOPB);
    if (strcmp(parity, "even") == 0) {
        tio.c_cflag |= PARENB;
    } else if (strcmp(parity, "odd") == 0) {
        tio.c_cflag |= PARENB | PARODD;
    } else {
        tio.c_cflag |= CSTOPB;
    }
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &tio);
    tcflush(fd, TCIOFLUSH);

    const double char_ns = 11.0 * 1e9 / baud;
    const int64_t t35 = baud > 19200 ? 1750000 : (int64_t)(3.5 * char_ns);
    const int expected = 5 + 2 * count;

    long transactions = 0, timeouts = 0, bad = 0;
    double exchange_ns = 0;
    int64_t last_rx = now_ns();
    int64_t started = now_ns();
    int64_t measure_from = started + (int64_t)(warmup * 1e9);
    int64_t measure_to = measure_from + (int64_t)(seconds * 1e9);
    int counting = 0;
    int64_t counted_from = 0;

    for (int unit = first_unit;; unit = unit == last_unit ? first_unit : unit + 1) {
        for (int a = 0; a < address_count; a++) {
            int64_t now = now_ns();
            if (!counting && now >= measure_from) {
                counting = 1;
                counted_from = now;
            }
            if (now >= measure_to) {
                double elapsed = (now - counted_from) / 1e9;
                printf("{\"transactions\": %ld, \"seconds\": %.3f, \"timeouts\": %ld, \"badFrames\": %ld, \"transactionsPerSecond\": %.2f, "
                       "\"meanExchangeMicroseconds\": %.1f}\n",
                    transactions, elapsed, timeouts, bad, transactions / elapsed, transactions ? exchange_ns / transactions / 1000 : 0);
                close(fd);
                return 0;
            }

            uint8_t request[8] = { (uint8_t)unit, (uint8_t)function, (uint8_t)(addresses[a] >> 8), (uint8_t)addresses[a], 0, (uint8_t)count };
            uint16_t crc = crc16(request, 6);
            request[6] = crc & 0xFF;
            request[7] = crc >> 8;
            wait_until(last_rx + t35);
            if (write(fd, request, sizeof request) != (ssize_t)sizeof request) {
                perror("rtu_master: write");
                return 1;
            }
            int64_t sent = now_ns();

            uint8_t response[260];
            int have = 0;
            int64_t deadline = sent + (int64_t)timeout_ms * 1000000;
            while (have < expected) {
                int remaining_ms = (int)((deadline - now_ns()) / 1000000);
                if (remaining_ms <= 0) {
                    break;
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, remaining_ms) <= 0) {
                    break;
                }
                ssize_t n = read(fd, response + have, sizeof response - have);
                if (n > 0) {
                    have += (int)n;
                }
                if (have >= 5 && (response[1] & 0x80)) {
                    break; /* exception answer: 5 bytes */
                }
            }
            last_rx = now_ns();

            if (have < expected) {
                if (have >= 5 && (response[1] & 0x80)) {
                    bad++;
                } else {
                    timeouts += counting;
                }
                continue;
            }
            uint16_t got = (uint16_t)(response[expected - 2] | response[expected - 1] << 8);
            if (response[0] != unit || response[1] != function || crc16(response, expected - 2) != got) {
                bad += counting;
                continue;
            }
            if (counting) {
                transactions++;
                exchange_ns += (double)(last_rx - sent);
            }
        }
    }
}
