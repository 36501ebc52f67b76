using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Ingestion;

public sealed class BufferedMqttStreamTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Read_SmallReadsOverChunkedInput_GiveEveryByteInOrderWithFewInnerReads()
    {
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        var inner = new ScriptedStream(data, chunk: 1_500);
        await using var stream = new BufferedMqttStream(inner, bufferSize: 4096);

        var read = new List<byte>();
        var piece = new byte[3];
        int n;
        while ((n = await stream.ReadAsync(piece.AsMemory(0, 1 + (read.Count % 3)), Token)) > 0)
        {
            read.AddRange(piece.AsSpan(0, n).ToArray());
        }

        Assert.Equal(data, read);

        // One inner read per chunk that arrived (and the end), not one per small read.
        Assert.Equal(data.Length / 1_500 + 2, inner.Reads);
    }

    [Fact]
    public async Task Read_LargerThanTheBuffer_ReadsStraightThrough()
    {
        var data = Enumerable.Range(0, 9_000).Select(i => (byte)i).ToArray();
        var inner = new ScriptedStream(data, chunk: 9_000);
        await using var stream = new BufferedMqttStream(inner, bufferSize: 1024);

        var target = new byte[9_000];
        Assert.Equal(9_000, await stream.ReadAsync(target, Token));
        Assert.Equal(data, target);
        Assert.Equal(0, await stream.ReadAsync(target, Token));
    }

    [Fact]
    public async Task Write_BurstWhileASendIsSlow_ArrivesWholeAndInOrderInFewerSends()
    {
        var inner = new ScriptedStream([], chunk: 1) { SendDelay = TimeSpan.FromMilliseconds(20) };
        await using var stream = new BufferedMqttStream(inner);

        var expected = new List<byte>();
        for (var i = 0; i < 200; i++)
        {
            byte[] ack = [0x40, 0x02, (byte)(i >> 8), (byte)i];
            expected.AddRange(ack);
            await stream.WriteAsync(ack, Token);
        }

        await stream.FlushAsync(Token);
        Assert.Equal(expected, inner.Written);
        Assert.InRange(inner.Sends, 1, 20);
    }

    [Fact]
    public async Task Write_AfterTheSendFailed_ThrowsAndTheConnectionIsClosed()
    {
        var inner = new ScriptedStream([], chunk: 1) { FailSends = true };
        await using var stream = new BufferedMqttStream(inner);

        await stream.WriteAsync(new byte[] { 0xC0, 0x00 }, Token);
        var flush = await Assert.ThrowsAsync<IOException>(() => stream.FlushAsync(Token));
        Assert.Contains("the connection failed while sending", flush.Message, StringComparison.Ordinal);
        Assert.True(inner.Disposed);
        await Assert.ThrowsAsync<IOException>(async () => await stream.WriteAsync(new byte[] { 0xC0, 0x00 }, Token));
    }

    [Fact]
    public async Task Provider_ConnectsToARealSocket_AndCarriesBothDirections()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync(Token).AsTask();

        await using var stream = await BufferedMqttStreamProvider.Instance.ConnectAsync(new DnsEndPoint("127.0.0.1", port), Token);
        using var server = await accept;
        var peer = server.GetStream();

        await stream.WriteAsync(new byte[] { 0x10, 0x01, 0x02 }, Token);
        await stream.FlushAsync(Token);
        var received = new byte[3];
        await peer.ReadExactlyAsync(received, Token);
        Assert.Equal(new byte[] { 0x10, 0x01, 0x02 }, received);

        await peer.WriteAsync(new byte[] { 0x20, 0x02, 0x00, 0x00 }, Token);
        var header = new byte[2];
        await stream.ReadExactlyAsync(header, Token);
        var rest = new byte[2];
        await stream.ReadExactlyAsync(rest, Token);
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x00 }, header.Concat(rest));
    }

    [Fact]
    public async Task Provider_OverTls_ABacklogOfSmallPacketsCostsFewTransportReadsAndABurstFewSends()
    {
        using var certificates = new TestCertificates();
        await certificates.AuthorityAsync("ca", Token);
        await certificates.ServerAsync("broker", "ca", Token);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptTcpClientAsync(Token).AsTask();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(listener.LocalEndpoint, Token);
        var transport = new CountingStream(new NetworkStream(socket, ownsSocket: true));
        using var server = await accept;
        await using var broker = new SslStream(server.GetStream());
        using var pem = X509Certificate2.CreateFromPemFile(certificates.File("broker.crt"), certificates.File("broker.key"));
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var tls = new BrokerTls(new CloudMqttTlsOptions { Enabled = true, CaCertificate = certificates.File("ca.crt") }, "127.0.0.1", TimeProvider.System);

        var handshake = broker.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, Token);
        await using var stream = await BufferedMqttStreamProvider.OverAsync(transport, tls, Token);
        await handshake;

        // 8 000 PUBACK-sized packets waiting (32 KB, two TLS records: well within the socket buffers, so the write completes
        // before anything is read), read as MQTTnet reads them: the fixed header, then the rest.
        var backlog = Enumerable.Range(0, 8_000).SelectMany(i => new byte[] { 0x40, 0x02, (byte)(i >> 8), (byte)i }).ToArray();
        await broker.WriteAsync(backlog, Token);
        await broker.FlushAsync(Token);
        var (readsBefore, sendsBefore) = (transport.Reads, transport.Sends);
        var received = new byte[backlog.Length];
        for (var offset = 0; offset < received.Length; offset += 4)
        {
            await stream.ReadExactlyAsync(received.AsMemory(offset, 2), Token);
            await stream.ReadExactlyAsync(received.AsMemory(offset + 2, 2), Token);
        }

        Assert.Equal(backlog, received);
        Assert.InRange(transport.Reads - readsBefore, 1, 24);

        // A burst of acknowledgements leaves in few sends (one TLS record each), not one per packet.
        for (var i = 0; i < 200; i++)
        {
            await stream.WriteAsync(backlog.AsMemory(4 * i, 4), Token);
        }

        await stream.FlushAsync(Token);
        var echoed = new byte[800];
        await broker.ReadExactlyAsync(echoed, Token);
        Assert.Equal(backlog.AsSpan(0, 800).ToArray(), echoed);
        Assert.InRange(transport.Sends - sendsBefore, 1, 20);
    }

    /// <summary>Counts the reads and sends that reach the socket.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public int Reads { get; private set; }

        public int Sends { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Sends++;
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

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

    /// <summary>An inner stream that hands out its data in fixed chunks and records writes, with an optional slow or failing send.</summary>
    private sealed class ScriptedStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public int Reads { get; private set; }

        public int Sends { get; private set; }

        public List<byte> Written { get; } = [];

        public TimeSpan SendDelay { get; init; }

        public bool FailSends { get; init; }

        public bool Disposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            var count = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _position);
            data.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return ValueTask.FromResult(count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Sends++;
            await Task.Delay(SendDelay, cancellationToken);
            if (FailSends)
            {
                throw new IOException("connection reset by peer");
            }

            Written.AddRange(buffer.ToArray());
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
