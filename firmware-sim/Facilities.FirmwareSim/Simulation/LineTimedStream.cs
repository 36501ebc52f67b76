using System.Diagnostics;

namespace Facilities.FirmwareSim.Simulation;

/// <summary>
/// Makes a pty behave like copper at a given baud rate: what is read is held until it would have finished arriving,
/// and what is written takes its wire time (11 bits a character) before the write completes.
/// </summary>
internal sealed class LineTimedStream(Stream inner, int baudRate) : Stream
{
    private readonly double _secondsPerByte = 11.0 / baudRate;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        await WaitWireTimeAsync(read, cancellationToken);
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await WaitWireTimeAsync(buffer.Length, cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    private async ValueTask WaitWireTimeAsync(int bytes, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(bytes * _secondsPerByte * Stopwatch.Frequency);
        var coarse = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until) - TimeSpan.FromMilliseconds(1.5);
        if (coarse > TimeSpan.Zero)
        {
            await Task.Delay(coarse, cancellationToken);
        }

        // The last stretch is shorter than the timer's resolution: wait it out precisely.
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(50);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Line timing is async only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Line timing is async only.");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
