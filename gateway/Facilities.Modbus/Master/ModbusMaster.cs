using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Facilities.Modbus.Protocol;
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

    public ValueTask<ModbusResult> WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, new WriteSingleCoilRequest(address, value), cancellationToken);

    public ValueTask<ModbusResult> WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, new WriteSingleRegisterRequest(address, value), cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult> WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckQuantity(values.Length, ModbusLimits.MaxWriteBits, "coils to write", address);
        return await ExchangeAsync(unit, new WriteMultipleCoilsRequest(address, values), cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult> WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckQuantity(values.Length, ModbusLimits.MaxWriteRegisters, "registers to write", address);
        return await ExchangeAsync(unit, new WriteMultipleRegistersRequest(address, values), cancellationToken);
    }

    /// <summary>Function 23: writes <paramref name="values"/> at <paramref name="writeAddress"/>, then reads <paramref name="readCount"/> registers.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ModbusResult<ushort[]>> ReadWriteMultipleRegistersAsync(
        byte unit, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckQuantity(readCount, ModbusLimits.MaxReadWriteReadRegisters, "registers to read", readAddress);
        CheckQuantity(values.Length, ModbusLimits.MaxReadWriteWriteRegisters, "registers to write", writeAddress);
        CheckUnicast(unit);
        var words = new ushort[readCount];
        return Carrying(await ExchangeAsync(unit, new ReadWriteMultipleRegistersRequest(readAddress, words, writeAddress, values), cancellationToken), words);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult<bool[]>> ReadBitsAsync(FunctionCode function, byte unit, ushort address, ushort count, CancellationToken cancellationToken)
    {
        CheckQuantity(count, ModbusLimits.MaxReadBits, "bits to read", address);
        CheckUnicast(unit);
        var bits = new bool[count];
        return Carrying(await ExchangeAsync(unit, new ReadBitsRequest(function, address, bits), cancellationToken), bits);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult<ushort[]>> ReadRegistersAsync(FunctionCode function, byte unit, ushort address, ushort count, CancellationToken cancellationToken)
    {
        CheckQuantity(count, ModbusLimits.MaxReadRegisters, "registers to read", address);
        var words = new ushort[count];
        return Carrying(await ReadRegistersIntoAsync(function, unit, address, words, cancellationToken), words);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult> ReadRegistersIntoAsync(FunctionCode function, byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken)
    {
        CheckQuantity(destination.Length, ModbusLimits.MaxReadRegisters, "registers to read", address);
        CheckUnicast(unit);
        return await ExchangeAsync(unit, new ReadRegistersRequest(function, address, destination), cancellationToken);
    }

    /// <summary>
    /// The one path every request takes: a pooled buffer, the exchange, the response checked. A broadcast has no
    /// response and succeeds once sent; an invalid response throws <see cref="ModbusFrameException"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ModbusResult> ExchangeAsync<TRequest>(byte unit, TRequest request, CancellationToken cancellationToken)
        where TRequest : struct, IMasterRequest
    {
        var buffer = ArrayPool<byte>.Shared.Rent(2 * HalfBuffer);
        try
        {
            var requestLength = request.WriteRequest(buffer);
            var responseLength = await _transport.ExchangeAsync(unit, buffer.AsMemory(0, requestLength), buffer.AsMemory(HalfBuffer, HalfBuffer), cancellationToken);
            if (unit == 0 && _transport.UnitZeroIsBroadcast)
            {
                return default;
            }

            var error = request.ParseResponse(buffer.AsSpan(HalfBuffer, responseLength), buffer.AsSpan(0, requestLength), out var exception);
            return error == FrameError.None
                ? new ModbusResult(exception)
                : throw new ModbusFrameException(error, $"{Endpoint}: unit {unit}: invalid response to {request.Function} ({error})");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ModbusResult<T> Carrying<T>(ModbusResult result, T value) =>
        result.IsSuccess ? ModbusResult<T>.Success(value) : ModbusResult<T>.Exception(result.ExceptionCode);

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
