using Facilities.Modbus.Transport;

namespace Facilities.Modbus.Tests.Hostile;

/// <summary>
/// An in-memory RTU line for hostile-input runs: bursts of bytes, each followed by silence. It is its own
/// <see cref="ILineInput"/>, so silence is reported at once instead of after a real timeout, and a hundred thousand
/// cases take seconds. As a slave's line it is fed up front and reads as closed when empty. As a master's line each
/// write asks <see cref="Respond"/> for the answer bursts; once they are used up the line reads as closed (so the
/// master reopens it), and before any answer is due it reads as silent.
/// </summary>
internal sealed class ScriptedLine : Stream, ILineInput
{
    private readonly Queue<byte[]> _bursts = new();
    private byte[] _current = [];
    private int _offset;
    private bool _answerDue;

    public Func<byte[], IEnumerable<byte[]>>? Respond { get; set; }

    public List<byte[]> Written { get; } = [];

    public void Feed(IEnumerable<byte[]> bursts)
    {
        foreach (var burst in bursts)
        {
            _bursts.Enqueue(burst);
        }
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_offset < _current.Length)
        {
            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            return ValueTask.FromResult(n);
        }

        if (_bursts.Count == 0)
        {
            if (Respond is not null && !_answerDue)
            {
                return ValueTask.FromResult(-1);
            }

            _answerDue = false;
            return ValueTask.FromResult(0);
        }

        // The burst is over: the line falls silent, then the next burst begins.
        _current = _bursts.Dequeue();
        _offset = 0;
        return ValueTask.FromResult(-1);
    }

    public void DiscardBuffered()
    {
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var frame = buffer.ToArray();
        Written.Add(frame);
        if (Respond is not null)
        {
            _bursts.Clear();
            _current = [];
            _offset = 0;
            _answerDue = true;
            Feed(Respond(frame));
        }

        return ValueTask.CompletedTask;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read through ILineInput");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");
}
