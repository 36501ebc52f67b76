"""A pymodbus (3.0.0rc1) master that the interop tests point at our slave.

It reads one JSON command per line on stdin and answers each with one JSON line on stdout, so a test can run a
conversation step by step and check our slave's registers in between. It prints "READY" once connected and exits
when stdin closes.

Usage:
  pymodbus_client.py --tcp HOST PORT            Modbus TCP (MBAP)
  pymodbus_client.py --rtu-over-tcp HOST PORT   RTU frames carried over a TCP socket
  pymodbus_client.py --serial PATH [--baud 19200] [--parity E]
  [--timeout SECONDS]                           whole seconds: pymodbus 3.0.0rc1 truncates to int

Commands (unit defaults to 1; "timeout" overrides the reply timeout for one command):
  {"op": "read_coils" | "read_discrete_inputs" | "read_holding_registers" | "read_input_registers",
   "address": A, "count": N}
  {"op": "write_coil", "address": A, "value": true}          {"op": "write_register", "address": A, "value": V}
  {"op": "write_coils", "address": A, "values": [...]}       {"op": "write_registers", "address": A, "values": [...]}
  {"op": "readwrite_registers", "read_address": A, "read_count": N, "write_address": B, "values": [...]}
  {"op": "read_exception_status"}                            function 07, which our slave does not implement
  {"op": "read_int32" | "read_float32", "table": "hr" | "ir", "address": A, "word_order": "big" | "little"}
  {"op": "write_int32" | "write_float32", "address": A, "value": X, "word_order": "big" | "little"}

Answers: {"ok": true, ...values...}, {"ok": false, "exception": CODE} for a Modbus exception response,
{"ok": false, "error": TEXT} when no valid answer came.
"""

import argparse
import json
import sys

try:
    from pymodbus.client import ModbusSerialClient, ModbusTcpClient
    from pymodbus.constants import Endian
    from pymodbus.framer.rtu_framer import ModbusRtuFramer
    from pymodbus.framer.socket_framer import ModbusSocketFramer
    from pymodbus.payload import BinaryPayloadBuilder, BinaryPayloadDecoder
    from pymodbus.pdu import ExceptionResponse
except ImportError as error:
    print(f"FATAL cannot import pymodbus: {error}", flush=True)
    sys.exit(3)


def word_order(command):
    return Endian.Big if command.get("word_order", "big") == "big" else Endian.Little


def outcome(response, success):
    """Turns a pymodbus response into an answer line; `success` extracts the values of a good one."""
    if isinstance(response, ExceptionResponse):
        return {"ok": False, "exception": response.exception_code}
    if response is None or not hasattr(response, "function_code") or response.isError():
        return {"ok": False, "error": str(response)}
    return {"ok": True, **success(response)}


def read_bits(command, read):
    count = command["count"]
    response = read(command["address"], count, slave=command["unit"])
    return outcome(response, lambda r: {"bits": [int(b) for b in r.bits[:count]]})


def read_registers(command, read):
    response = read(command["address"], command["count"], slave=command["unit"])
    return outcome(response, lambda r: {"registers": list(r.registers)})


def read_32bit(client, command):
    read = client.read_input_registers if command.get("table", "hr") == "ir" else client.read_holding_registers
    response = read(command["address"], 2, slave=command["unit"])

    def decode(r):
        decoder = BinaryPayloadDecoder.fromRegisters(r.registers, byteorder=Endian.Big, wordorder=word_order(command))
        value = decoder.decode_32bit_float() if command["op"] == "read_float32" else decoder.decode_32bit_int()
        return {"value": value, "registers": list(r.registers)}

    return outcome(response, decode)


def write_32bit(client, command):
    builder = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=word_order(command))
    if command["op"] == "write_float32":
        builder.add_32bit_float(float(command["value"]))
    else:
        builder.add_32bit_int(int(command["value"]))
    registers = builder.to_registers()
    response = client.write_registers(command["address"], registers, slave=command["unit"])
    return outcome(response, lambda r: {"registers": registers})


def run(client, command):
    op = command["op"]
    unit = command["unit"]
    if op == "read_coils":
        return read_bits(command, client.read_coils)
    if op == "read_discrete_inputs":
        return read_bits(command, client.read_discrete_inputs)
    if op == "read_holding_registers":
        return read_registers(command, client.read_holding_registers)
    if op == "read_input_registers":
        return read_registers(command, client.read_input_registers)
    if op == "write_coil":
        response = client.write_coil(command["address"], bool(command["value"]), slave=unit)
        return outcome(response, lambda r: {"value": int(r.value)})
    if op == "write_register":
        response = client.write_register(command["address"], command["value"], slave=unit)
        return outcome(response, lambda r: {"value": r.value})
    if op == "write_coils":
        response = client.write_coils(command["address"], [bool(v) for v in command["values"]], slave=unit)
        return outcome(response, lambda r: {"count": r.count})
    if op == "write_registers":
        response = client.write_registers(command["address"], command["values"], slave=unit)
        return outcome(response, lambda r: {"count": r.count})
    if op == "readwrite_registers":
        response = client.readwrite_registers(
            read_address=command["read_address"],
            read_count=command["read_count"],
            write_address=command["write_address"],
            write_registers=command["values"],
            unit=unit,
        )
        return outcome(response, lambda r: {"registers": list(r.registers)})
    if op == "read_exception_status":
        response = client.read_exception_status(slave=unit)
        return outcome(response, lambda r: {"status": r.status})
    if op in ("read_int32", "read_float32"):
        return read_32bit(client, command)
    if op in ("write_int32", "write_float32"):
        return write_32bit(client, command)
    return {"ok": False, "error": f"unknown op {op}"}


def with_timeout(client, seconds, action):
    """Runs `action` with the reply timeout set to `seconds` (read by the TCP client per call, by pyserial per read)."""
    previous = client.params.timeout
    client.params.timeout = seconds
    serial_port = getattr(client, "socket", None) if isinstance(client, ModbusSerialClient) else None
    if serial_port is not None:
        serial_port.timeout = seconds
    try:
        return action()
    finally:
        client.params.timeout = previous
        if serial_port is not None:
            serial_port.timeout = previous


def connect(args):
    common = {"timeout": args.timeout, "retries": 0, "retry_on_empty": False}
    if args.tcp:
        return ModbusTcpClient(args.tcp[0], int(args.tcp[1]), framer=ModbusSocketFramer, **common)
    if args.rtu_over_tcp:
        return ModbusTcpClient(args.rtu_over_tcp[0], int(args.rtu_over_tcp[1]), framer=ModbusRtuFramer, **common)
    return ModbusSerialClient(args.serial, framer=ModbusRtuFramer, baudrate=args.baud, parity=args.parity,
                              bytesize=8, stopbits=1, **common)


def main():
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--tcp", nargs=2, metavar=("HOST", "PORT"))
    mode.add_argument("--rtu-over-tcp", nargs=2, metavar=("HOST", "PORT"))
    mode.add_argument("--serial")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--parity", default="E", choices=["N", "E", "O"])
    parser.add_argument("--timeout", type=int, default=3)
    args = parser.parse_args()

    client = connect(args)
    if not client.connect():
        print(f"FATAL cannot connect: {client}", flush=True)
        sys.exit(4)
    print("READY", flush=True)

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            command.setdefault("unit", 1)
            if "timeout" in command:
                answer = with_timeout(client, command["timeout"], lambda: run(client, command))
            else:
                answer = run(client, command)
        except Exception as error:  # an answer line either way, so the test never waits on a dead conversation
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)
    client.close()


if __name__ == "__main__":
    main()
