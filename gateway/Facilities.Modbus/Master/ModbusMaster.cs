using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Protocol.Functions;
using Facilities.Modbus.Transport;

namespace Facilities.Modbus.Master;

/// <summary>
/// A Modbus master (client). Device refusals come back as <see cref="ModbusResult"/> exception codes; a silent,
/// unreachable or nonsensical peer throws a <see cref="ModbusTransportException"/>. Broken connections reopen on the
/// next request. Thread-safe: RTU requests queue for the line, TCP requests pipeline up to the configured limit.
/// </summary>
public sealed class ModbusMaster : IAsyncDisposable
{
    // Request PDU in the first half, response PDU in the second, so a write's echo is compared with what was sent.
    private const int HalfBuffer = 256;

    private readonly IModbusTransport _transport;

    private ModbusMaster(IModbusTransport transport) => _transport = transport;

    public string Endpoint => _transport.Endpoint;

    public static ModbusMaster CreateTcp(ModbusTcpMasterOptions options)
    {
        options.Validate();
        return new ModbusMaster(new TcpTransport(options));
    }

    public static ModbusMaster CreateRtuOverTcp(ModbusRtuOverTcpMasterOptions options)
    {
        options.Validate();
        return new ModbusMaster(new RtuTransport(
            async ct =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(options.Host, options.Port, timeout.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    socket.Dispose();
                    throw new IOException($"no answer within {options.ConnectTimeout.TotalSeconds:0.#} s");
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                return new NetworkStream(socket, ownsSocket: true);
            },
            options.Timing,
            options.RequestTimeout,
            $"rtu-over-tcp://{options.Host}:{options.Port}"));
    }

    /// <summary>An RTU master over streams from <paramref name="openLine"/>, called again after the line breaks.</summary>
    public static ModbusMaster CreateRtu(Func<CancellationToken, ValueTask<Stream>> openLine, ModbusRtuMasterOptions options)
    {
        ArgumentNullException.ThrowIfNull(openLine);
        options.Timing.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestTimeout, TimeSpan.Zero);
        return new ModbusMaster(new RtuTransport(openLine, options.Timing, options.RequestTimeout, options.Endpoint));
    }

    /// <summary>Opens the connection now rather than on the first request.</summary>
    public ValueTask ConnectAsync(CancellationToken cancellationToken = default) => _transport.ConnectAsync(cancellationToken);

    /// <summary>Closes the connection; the next request opens it again.</summary>
    public ValueTask CloseAsync() => _transport.CloseAsync();

    public async ValueTask<ModbusResult<bool[]>> ReadCoilsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        await ReadBitsAsync(FunctionCode.ReadCoils, unit, address, count, cancellationToken);

    public async ValueTask<ModbusResult<bool[]>> ReadDiscreteInputsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        await ReadBitsAsync(FunctionCode.ReadDiscreteInputs, unit, address, count, cancellationToken);

    public ValueTask<ModbusResult<ushort[]>> ReadHoldingRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(FunctionCode.ReadHoldingRegisters, unit, address, count, cancellationToken);

    public ValueTask<ModbusResult<ushort[]>> ReadInputRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(FunctionCode.ReadInputRegisters, unit, address, count, cancellationToken);

    /// <summary>Reads <paramref name="destination"/>.Length holding registers into it, allocating nothing.</summary>
    public ValueTask<ModbusResult> ReadHoldingRegistersAsync(byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default) =>
        ReadRegistersIntoAsync(FunctionCode.ReadHoldingRegisters, unit, address, destination, cancellationToken);

    /// <summary>Reads <paramref name="destination"/>.Length input registers into it, allocating nothing.</summary>
    public ValueTask<ModbusResult> ReadInputRegistersAsync(byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default) =>
        ReadRegistersIntoAsync(FunctionCode.ReadInputRegisters, unit, address, destination, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult> WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = WriteSingleCoil.WriteRequest(buffer, address, value);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            return response < 0 ? default : Check(WriteSingleCoil.ParseResponse(Response(buffer, response), buffer, out var exception), exception, unit, FunctionCode.WriteSingleCoil);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult> WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = WriteSingleRegister.WriteRequest(buffer, address, value);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            return response < 0 ? default : Check(WriteSingleRegister.ParseResponse(Response(buffer, response), buffer, out var exception), exception, unit, FunctionCode.WriteSingleRegister);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult> WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckQuantity(values.Length, ModbusLimits.MaxWriteBits, "coils to write", address);
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = WriteMultipleCoils.WriteRequest(buffer, address, values.Span);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            return response < 0 ? default : Check(WriteMultipleCoils.ParseResponse(Response(buffer, response), buffer, out var exception), exception, unit, FunctionCode.WriteMultipleCoils);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult> WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckQuantity(values.Length, ModbusLimits.MaxWriteRegisters, "registers to write", address);
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = WriteMultipleRegisters.WriteRequest(buffer, address, values.Span);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            return response < 0 ? default : Check(WriteMultipleRegisters.ParseResponse(Response(buffer, response), buffer, out var exception), exception, unit, FunctionCode.WriteMultipleRegisters);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Function 23: writes <paramref name="values"/> at <paramref name="writeAddress"/>, then reads <paramref name="readCount"/> registers.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult<ushort[]>> ReadWriteMultipleRegistersAsync(
        byte unit, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckQuantity(readCount, ModbusLimits.MaxReadWriteReadRegisters, "registers to read", readAddress);
        CheckQuantity(values.Length, ModbusLimits.MaxReadWriteWriteRegisters, "registers to write", writeAddress);
        CheckUnicast(unit);
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = ReadWriteMultipleRegisters.WriteRequest(buffer, readAddress, readCount, writeAddress, values.Span);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            var words = new ushort[readCount];
            var error = ReadWriteMultipleRegisters.ParseResponse(Response(buffer, response), words, out var exception);
            return Check(error, exception, unit, FunctionCode.ReadWriteMultipleRegisters) is { IsSuccess: false } failed
                ? ModbusResult<ushort[]>.Exception(failed.ExceptionCode)
                : ModbusResult<ushort[]>.Success(words);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult<bool[]>> ReadBitsAsync(FunctionCode function, byte unit, ushort address, ushort count, CancellationToken cancellationToken)
    {
        CheckQuantity(count, ModbusLimits.MaxReadBits, "bits to read", address);
        CheckUnicast(unit);
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = ReadBits.WriteRequest(buffer, function, address, count);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            var bits = new bool[count];
            var error = ReadBits.ParseResponse(Response(buffer, response), function, bits, out var exception);
            return Check(error, exception, unit, function) is { IsSuccess: false } failed
                ? ModbusResult<bool[]>.Exception(failed.ExceptionCode)
                : ModbusResult<bool[]>.Success(bits);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult<ushort[]>> ReadRegistersAsync(FunctionCode function, byte unit, ushort address, ushort count, CancellationToken cancellationToken)
    {
        CheckQuantity(count, ModbusLimits.MaxReadRegisters, "registers to read", address);
        var words = new ushort[count];
        var result = await ReadRegistersIntoAsync(function, unit, address, words, cancellationToken);
        return result.IsSuccess ? ModbusResult<ushort[]>.Success(words) : ModbusResult<ushort[]>.Exception(result.ExceptionCode);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult> ReadRegistersIntoAsync(FunctionCode function, byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken)
    {
        CheckQuantity(destination.Length, ModbusLimits.MaxReadRegisters, "registers to read", address);
        CheckUnicast(unit);
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var length = ReadRegisters.WriteRequest(buffer, function, address, (ushort)destination.Length);
            var response = await ExchangeAsync(unit, buffer, length, cancellationToken);
            var error = ReadRegisters.ParseResponse(Response(buffer, response), function, destination.Span, out var exception);
            return Check(error, exception, unit, function);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Returns the response PDU length, or -1 for a broadcast that has no response.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ExchangeAsync(byte unit, byte[] buffer, int requestLength, CancellationToken cancellationToken)
    {
        var length = await _transport.ExchangeAsync(unit, buffer.AsMemory(0, requestLength), buffer.AsMemory(HalfBuffer, HalfBuffer), cancellationToken);
        return unit == 0 && _transport.UnitZeroIsBroadcast ? -1 : length;
    }

    private static ReadOnlySpan<byte> Response(byte[] buffer, int length) => buffer.AsSpan(HalfBuffer, length);

    private ModbusResult Check(FrameError error, ModbusExceptionCode exception, byte unit, FunctionCode function) =>
        error == FrameError.None
            ? new ModbusResult(exception)
            : throw new ModbusFrameException(error, $"{Endpoint}: unit {unit}: invalid response to {function} ({error})");

    private static void CheckQuantity(int count, int max, string what, ushort address)
    {
        if (count < 1 || count > max)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Modbus allows 1 to {max} {what} per request.");
        }

        if (address + count > 0x10000)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address, $"{count} {what} from address {address} run past 65535.");
        }
    }

    private void CheckUnicast(byte unit)
    {
        if (unit == 0 && _transport.UnitZeroIsBroadcast)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unit 0 is the RTU broadcast address; only writes can be broadcast.");
        }
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();
}
