using System.Diagnostics;
using Facilities.Modbus.Framing;
using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Transport;

/// <summary>
/// RTU framing on a byte stream (a serial port, or a TCP socket to a serial-to-Ethernet converter), shared by master
/// and slave. Frames are delimited by predicting their length from the function code; a silence longer than the
/// frame-gap timeout inside a frame breaks it; a frame with a bad CRC or an impossible length is dropped and the
/// reader resynchronises on the next silence. The reader never reads past the frame it predicted, so nothing that
/// belongs to the next frame is lost.
/// </summary>
internal sealed class RtuLine : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly RtuTiming _timing;
    private readonly byte[] _receive = new byte[ModbusLimits.MaxRtuFrameLength];
    private readonly byte[] _scratch = new byte[ModbusLimits.MaxRtuFrameLength];
    private readonly ILineInput _receiver;
    private long _lastActivity;

    public RtuLine(Stream stream, RtuTiming timing)
    {
        timing.Validate();
        _stream = stream;
        _timing = timing;
        _receiver = stream as ILineInput ?? new LineReceiver(stream);
        _lastActivity = Stopwatch.GetTimestamp();
    }

    /// <summary>Forgets bytes that arrived while nobody was listening (stale answers, noise) before a new request.</summary>
    public void DiscardBuffered() => _receiver.DiscardBuffered();

    /// <summary>The last frame read; valid until the next read.</summary>
    public ReadOnlySpan<byte> Received => _receive;

    /// <summary>Frames dropped because they were cut short, too long, of unknown function, or failed the CRC.</summary>
    public long BadFrames { get; private set; }

    /// <summary>Why the most recent frame was dropped, for error messages.</summary>
    public FrameError LastBadFrame { get; private set; }

    public async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await WaitForSendGuardAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(frame, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new ModbusConnectionException($"write failed: {e.Message}", e);
        }

        _lastActivity = Stopwatch.GetTimestamp() + (long)(_timing.TransmissionTime(frame.Length).TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// Waits until the line has been quiet for the send guard (t3.5 plus turnaround), precisely: a timer would end it
    /// up to 4 ms late or even early (see <see cref="PreciseDelay"/>).
    /// </summary>
    private ValueTask WaitForSendGuardAsync(CancellationToken cancellationToken) =>
        PreciseDelay.UntilAsync(_lastActivity + (long)(_timing.SendGuard.TotalSeconds * Stopwatch.Frequency), cancellationToken);

    /// <summary>
    /// Reads one CRC-valid frame. <paramref name="asRequest"/> selects the length rules (request or response).
    /// Returns its length, or 0 if <paramref name="timeout"/> passed first (null waits forever).
    /// </summary>
    public async ValueTask<int> ReadFrameAsync(bool asRequest, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t ? Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var have = 0;
        var need = 2;
        var predicted = false;
        var byLength = true;
        while (true)
        {
            var wait = have == 0 ? Remaining(deadline) : Min(_timing.FrameGapTimeout, Remaining(deadline));
            if (wait != Timeout.InfiniteTimeSpan && wait <= TimeSpan.Zero)
            {
                if (have > 0)
                {
                    Drop(FrameError.Truncated);
                }

                return 0;
            }

            var read = await ReadSomeAsync(_receive.AsMemory(have, need - have), wait, cancellationToken);
            if (read < 0)
            {
                // Silence: ends an unknown-function frame, breaks a predicted one, or means nothing came at all.
                if (!byLength && have >= RtuFrame.MinLength)
                {
                    if (Crc16.IsValid(_receive.AsSpan(0, have)))
                    {
                        return have;
                    }

                    Drop(FrameError.BadCrc);
                }
                else if (have > 0)
                {
                    Drop(FrameError.Truncated);
                }

                if (have == 0 && deadline != long.MaxValue && Remaining(deadline) <= TimeSpan.Zero)
                {
                    return 0;
                }

                have = 0;
                need = 2;
                predicted = false;
                byLength = true;
                continue;
            }

            have += read;
            if (have < need)
            {
                continue;
            }

            if (!byLength)
            {
                if (have == _receive.Length)
                {
                    Drop(FrameError.TooLong);
                    await ResynchroniseAsync(deadline, cancellationToken);
                    (have, need, predicted, byLength) = (0, 2, false, true);
                }
                else
                {
                    need = have + 1;
                }

                continue;
            }

            if (!predicted)
            {
                var headLength = RtuFrame.BytesToPredict(_receive[1], asRequest);
                if (have < headLength)
                {
                    need = headLength;
                    continue;
                }

                predicted = true;
                var total = asRequest ? RtuFrame.RequestLength(_receive.AsSpan(0, have)) : RtuFrame.ResponseLength(_receive.AsSpan(0, have));
                if (total < 0 && asRequest)
                {
                    // Unknown function: read to the next silence so the slave can answer "illegal function".
                    byLength = false;
                    need = have + 1;
                    continue;
                }

                if (total is < RtuFrame.MinLength or > ModbusLimits.MaxRtuFrameLength)
                {
                    Drop(total < 0 ? FrameError.UnexpectedFunction : FrameError.TooLong);
                    await ResynchroniseAsync(deadline, cancellationToken);
                    (have, need, predicted) = (0, 2, false);
                    continue;
                }

                need = total;
                if (have < need)
                {
                    continue;
                }
            }

            if (Crc16.IsValid(_receive.AsSpan(0, have)))
            {
                return have;
            }

            Drop(FrameError.BadCrc);
            await ResynchroniseAsync(deadline, cancellationToken);
            (have, need, predicted) = (0, 2, false);
        }
    }

    /// <summary>Reads and discards until the line has been quiet for <see cref="RtuTiming.IdleSilence"/>.</summary>
    public async ValueTask DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        await ResynchroniseAsync(deadline, cancellationToken);
    }

    private async ValueTask ResynchroniseAsync(long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = Min(_timing.IdleSilence, Remaining(deadline));
            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            if (await ReadSomeAsync(_scratch, wait, cancellationToken) < 0)
            {
                return;
            }
        }
    }

    private void Drop(FrameError reason)
    {
        BadFrames++;
        LastBadFrame = reason;
    }

    /// <summary>Reads what is available, up to <paramref name="buffer"/>'s length; -1 if <paramref name="wait"/> passed in silence.</summary>
    private async ValueTask<int> ReadSomeAsync(Memory<byte> buffer, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait != Timeout.InfiniteTimeSpan && wait < TimeSpan.FromMilliseconds(1))
        {
            wait = TimeSpan.FromMilliseconds(1);
        }

        int read;
        try
        {
            read = await _receiver.ReadAsync(buffer, wait, cancellationToken);
        }
        catch (IOException e)
        {
            throw new ModbusConnectionException($"read failed: {e.Message}", e);
        }

        if (read < 0)
        {
            return -1;
        }

        if (read == 0)
        {
            throw new ModbusConnectionException("the line was closed by the other end");
        }

        _lastActivity = Stopwatch.GetTimestamp();
        return read;
    }

    private static TimeSpan Remaining(long deadline) =>
        deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => b == Timeout.InfiniteTimeSpan || a < b ? a : b;

    /// <summary>Stops receiving but leaves the stream to its owner.</summary>
    public ValueTask StopAsync() => _receiver.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _stream.DisposeAsync();
    }
}
