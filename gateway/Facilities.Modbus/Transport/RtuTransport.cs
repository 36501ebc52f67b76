using Facilities.Modbus.Framing;
using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Transport;

/// <summary>
/// Modbus RTU master side on one line: one transaction at a time, t3.5 plus turnaround before each frame, responses
/// matched on unit and function. After a timeout or a cancelled request the line is drained to silence before the
/// next request, so a late answer to an old request can never be taken for the answer to a new one.
/// </summary>
internal sealed class RtuTransport(
    Func<CancellationToken, ValueTask<Stream>> openLine,
    RtuTiming timing,
    TimeSpan requestTimeout,
    string endpoint) : IModbusTransport
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _send = new byte[ModbusLimits.MaxRtuFrameLength];
    private RtuLine? _line;
    private bool _dirty = true;

    public string Endpoint { get; } = endpoint;

    public bool UnitZeroIsBroadcast => true;

    /// <summary>Frames seen on the line that were not the awaited response (bad CRC, other unit, other function).</summary>
    public long DiscardedFrames { get; private set; }

    public async ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await OpenAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var line = await OpenAsync(cancellationToken);
            if (_dirty)
            {
                await line.DrainAsync(requestTimeout, cancellationToken);
                _dirty = false;
            }

            line.DiscardBuffered();
            var length = RtuFrame.WriteFrame(_send, unit, request.Span);
            _dirty = true;
            await line.WriteFrameAsync(_send.AsMemory(0, length), cancellationToken);
            if (unit == 0)
            {
                // Broadcast: nobody answers; give the devices their turnaround before the next frame.
                await Task.Delay(timing.TurnaroundDelay + timing.InterFrameSilence, cancellationToken);
                _dirty = false;
                return 0;
            }

            var pdu = await ReadResponseAsync(line, unit, request.Span[0], cancellationToken);
            _dirty = false;
            line.Received.Slice(1, pdu).CopyTo(response.Span);
            return pdu;
        }
        catch (ModbusConnectionException e)
        {
            await CloseLineAsync();
            throw new ModbusConnectionException($"{Endpoint}: {e.Message}", e.InnerException);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<int> ReadResponseAsync(RtuLine line, byte unit, byte function, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var badBefore = line.BadFrames;
        var strays = 0;
        while (true)
        {
            var remaining = requestTimeout - TimeProvider.System.GetElapsedTime(started);
            var length = remaining > TimeSpan.Zero ? await line.ReadFrameAsync(asRequest: false, remaining, cancellationToken) : 0;
            if (length == 0)
            {
                var bad = line.BadFrames - badBefore;
                DiscardedFrames += bad;
                var detail = bad + strays == 0 ? "" : $"; discarded {bad} invalid frame(s) (last: {line.LastBadFrame}) and {strays} frame(s) for another request";
                throw new ModbusTimeoutException($"{Endpoint}: unit {unit}: no response within {requestTimeout.TotalMilliseconds:0} ms{detail}");
            }

            var frame = line.Received[..length];
            if (frame[0] == unit && (frame[1] & 0x7F) == function)
            {
                return length - 3;
            }

            strays++;
            DiscardedFrames++;
        }
    }

    private async ValueTask<RtuLine> OpenAsync(CancellationToken cancellationToken)
    {
        if (_line is not null)
        {
            return _line;
        }

        Stream stream;
        try
        {
            stream = await openLine(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or ArgumentException or InvalidOperationException)
        {
            throw new ModbusConnectionException($"cannot open: {e.Message}", e);
        }

        _line = new RtuLine(stream, timing);
        _dirty = true;
        return _line;
    }

    private async ValueTask CloseLineAsync()
    {
        if (_line is not null)
        {
            await _line.DisposeAsync();
            _line = null;
        }
    }

    public async ValueTask CloseAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await CloseLineAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }
}
