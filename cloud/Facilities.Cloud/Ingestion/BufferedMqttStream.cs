using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Channel;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// The cloud's MQTT connection: a TCP socket behind a <see cref="BufferedMqttStream"/>. MQTTnet reads every packet in
/// small pieces (the fixed header, then the rest) and writes every acknowledgement on its own, each a system call;
/// draining a backlog that way cost more CPU in system calls than in everything else the client does (profiled with
/// perf in the ingest benchmark, tests/Facilities.Cloud.Benchmarks). With TLS (<c>Mqtt:Tls</c>) the encryption sits
/// between the socket and the buffer, so the buffer still takes whatever has arrived in one read and a burst of
/// acknowledgements leaves as one TLS record; MQTTnet's own TLS option would sit above the buffer and seal every packet
/// on its own, so it stays off.
/// </summary>
public sealed class BufferedMqttStreamProvider : IMqttClientStreamProvider
{
    public static readonly BufferedMqttStreamProvider Instance = new(null);

    private readonly BrokerTls? _tls;

    private BufferedMqttStreamProvider(BrokerTls? tls) => _tls = tls;

    /// <summary>Sets this provider on options built for a TCP server.</summary>
    public static MqttClientOptions Apply(MqttClientOptions options) => Apply(options, Instance);

    /// <summary>Sets a provider that speaks TLS to the broker (<paramref name="tls"/>), or plain TCP when it is null.</summary>
    internal static MqttClientOptions Apply(MqttClientOptions options, BrokerTls? tls) => Apply(options, tls is null ? Instance : new BufferedMqttStreamProvider(tls));

    private static MqttClientOptions Apply(MqttClientOptions options, BufferedMqttStreamProvider provider)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChannelOptions is not MqttClientTcpOptions tcp)
        {
            throw new ArgumentException("the buffered stream needs a TCP connection (WithTcpServer)", nameof(options));
        }

        if (tcp.TlsOptions?.UseTls == true)
        {
            throw new ArgumentException("TLS belongs under the buffered stream (BrokerTls), not in MQTTnet's options", nameof(options));
        }

        tcp.StreamProvider = provider;
        return options;
    }

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(brokerEndPoint);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken);
            return await OverAsync(new NetworkStream(socket, ownsSocket: true), _tls, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The layers above a connected <paramref name="transport"/>: the buffer, over TLS when <paramref name="tls"/> is given.</summary>
    internal static async Task<BufferedMqttStream> OverAsync(Stream transport, BrokerTls? tls, CancellationToken cancellationToken) =>
        new(tls is null ? transport : await tls.AuthenticateAsync(transport, cancellationToken));
}

/// <summary>
/// A duplex stream that reads ahead and writes behind:
/// <list type="bullet">
/// <item>Reads are served from a buffer that one receive fills with whatever has arrived, so a backlog of small
/// packets costs one system call per buffer instead of two or three per packet.</item>
/// <item>A write is copied and sent by a background flush that takes everything written meanwhile in one send, in
/// order: a burst of acknowledgements after a commit leaves in a few segments. A write waits only when more than
/// <see cref="PendingLimit"/> bytes are still unsent. A failed send closes the connection, so the reader sees it at
/// once and the next write throws it.</item>
/// </list>
/// </summary>
internal sealed class BufferedMqttStream(Stream inner, int bufferSize = 64 * 1024) : Stream
{
    /// <summary>Unsent bytes above which a write waits for the flush.</summary>
    public const int PendingLimit = 1024 * 1024;

    private readonly byte[] _readBuffer = new byte[bufferSize];
    private int _readStart;
    private int _readEnd;

    private readonly Lock _gate = new();
    private MemoryStream _pending = new();
    private MemoryStream _sending = new();
    private Task _flush = Task.CompletedTask;
    private bool _flushing;
    private Exception? _failed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readEnd == _readStart)
        {
            if (buffer.Length >= _readBuffer.Length)
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }

            _readStart = 0;
            _readEnd = await inner.ReadAsync(_readBuffer, cancellationToken);
            if (_readEnd == 0)
            {
                return 0;
            }
        }

        var count = Math.Min(buffer.Length, _readEnd - _readStart);
        _readBuffer.AsSpan(_readStart, count).CopyTo(buffer.Span);
        _readStart += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task wait;
        lock (_gate)
        {
            if (_failed is not null)
            {
                return ValueTask.FromException(new IOException("the connection failed while sending", _failed));
            }

            _pending.Write(buffer.Span);
            if (!_flushing)
            {
                _flushing = true;
                _flush = Task.Run(SendPendingAsync, CancellationToken.None);
            }

            if (_pending.Length <= PendingLimit)
            {
                return ValueTask.CompletedTask;
            }

            wait = _flush;
        }

        return new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Sends what is pending, in order, until nothing is; a failure closes the connection.</summary>
    private async Task SendPendingAsync()
    {
        while (true)
        {
            lock (_gate)
            {
                if (_pending.Length == 0)
                {
                    _flushing = false;
                    return;
                }

                (_pending, _sending) = (_sending, _pending);
                _pending.SetLength(0);
            }

            try
            {
                await inner.WriteAsync(_sending.GetBuffer().AsMemory(0, (int)_sending.Length));
            }
            catch (Exception error)
            {
                lock (_gate)
                {
                    _failed = error;
                    _flushing = false;
                }

                inner.Dispose();
                return;
            }
        }
    }

    /// <summary>Waits until everything written so far has been sent.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task flush;
            lock (_gate)
            {
                if (_failed is not null)
                {
                    throw new IOException("the connection failed while sending", _failed);
                }

                if (!_flushing)
                {
                    return;
                }

                flush = _flush;
            }

            await flush.WaitAsync(cancellationToken);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

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
