"""A pymodbus (3.0.0rc1) slave that the interop tests point our master at.

The data map comes from the test as JSON, so the test knows every value it should read back. Every write a master
makes is echoed on stdout as a "WRITE {json}" line, so the test can check what the independent implementation
decoded rather than reading it back through our own stack. The process exits when its stdin closes, so a test run
that dies never leaves it behind.

Usage:
  pymodbus_server.py --units JSON --tcp
  pymodbus_server.py --units JSON --serial PATH [--baud 19200] [--parity E]
  [--busy UNIT ...]   units that refuse every request with exception 6 (server device busy)

Units JSON: {"1": {"co": {"start": 0, "size": 100, "values": [1, 0]}, "hr": {"start": 0, "values": [7, 8]}}, ...};
tables are co, di, ir, hr; values past the given ones up to size are 0. A table left out has no addresses at all.
"""

import argparse
import asyncio
import json
import os
import sys
import threading

try:
    from pymodbus.datastore import ModbusServerContext, ModbusSequentialDataBlock, ModbusSlaveContext
    from pymodbus.framer.rtu_framer import ModbusRtuFramer
    from pymodbus.framer.socket_framer import ModbusSocketFramer
    from pymodbus.pdu import ExceptionResponse, ModbusExceptions
    from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
except ImportError as error:
    print(f"FATAL cannot import pymodbus: {error}", flush=True)
    sys.exit(3)

TABLES = ("co", "di", "ir", "hr")


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class ReportingBlock(ModbusSequentialDataBlock):
    """A contiguous block of addresses that reports every value written into it."""

    def __init__(self, unit, table, start, values):
        super().__init__(start, values)
        self.unit = unit
        self.table = table

    def setValues(self, address, values):
        super().setValues(address, values)
        written = values if isinstance(values, list) else [values]
        report = {"unit": self.unit, "table": self.table, "address": address, "values": [int(v) for v in written]}
        emit("WRITE " + json.dumps(report))


class EmptyBlock(ModbusSequentialDataBlock):
    """A table with no addresses: every access is an illegal data address."""

    def __init__(self):
        super().__init__(0, [0])

    def validate(self, address, count=1):
        return False


def build_context(units_json):
    slaves = {}
    for unit_text, tables in json.loads(units_json).items():
        unit = int(unit_text)
        blocks = {}
        for table in TABLES:
            spec = tables.get(table)
            if spec is None:
                blocks[table] = EmptyBlock()
            else:
                values = list(spec["values"])
                values += [0] * (spec.get("size", len(values)) - len(values))
                blocks[table] = ReportingBlock(unit, table, spec["start"], values)
        # zero_mode: protocol address N is block address N (pymodbus otherwise shifts by one).
        slaves[unit] = ModbusSlaveContext(zero_mode=True, **blocks)
    return ModbusServerContext(slaves=slaves, single=False)


def busy_manipulator(busy_units):
    def manipulate(response):
        if response.unit_id not in busy_units:
            return response, False
        # The request was carried out; only its answer is replaced. The tests only read from the busy unit.
        refusal = ExceptionResponse(response.function_code & 0x7F, ModbusExceptions.SlaveBusy)
        refusal.unit_id = response.unit_id
        refusal.transaction_id = response.transaction_id
        return refusal, False

    return manipulate


def exit_when_stdin_closes():
    def watch():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


async def serve_tcp(context, manipulator):
    server = ModbusTcpServer(
        context,
        framer=ModbusSocketFramer,
        address=("127.0.0.1", 0),
        ignore_missing_slaves=True,
        response_manipulator=manipulator,
    )
    serving = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    emit(f"READY tcp 127.0.0.1 {port}")
    await serving


async def serve_serial(context, manipulator, path, baud, parity):
    server = ModbusSerialServer(
        context,
        framer=ModbusRtuFramer,
        port=path,
        baudrate=baud,
        parity=parity,
        bytesize=8,
        stopbits=1,
        ignore_missing_slaves=True,
        response_manipulator=manipulator,
    )
    await server.start()
    if server.transport is None:
        emit(f"FATAL cannot open serial port {path}")
        sys.exit(4)
    emit(f"READY serial {path}")
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", required=True)
    parser.add_argument("--busy", type=int, nargs="*", default=[])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--tcp", action="store_true")
    mode.add_argument("--serial")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--parity", default="E", choices=["N", "E", "O"])
    args = parser.parse_args()

    exit_when_stdin_closes()
    context = build_context(args.units)
    manipulator = busy_manipulator(set(args.busy))
    if args.tcp:
        asyncio.run(serve_tcp(context, manipulator))
    else:
        asyncio.run(serve_serial(context, manipulator, args.serial, args.baud, args.parity))


if __name__ == "__main__":
    main()
