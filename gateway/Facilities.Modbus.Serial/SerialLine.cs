using System.IO.Ports;
using Facilities.Modbus.Master;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Serial;

/// <summary>Opens serial ports for the RTU master and slave.</summary>
public static class SerialLine
{
    public static Stream Open(SerialLineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Timing.Validate();
        var port = new SerialPort(options.PortName, options.BaudRate, options.Parity, 8, options.StopBits)
        {
            Handshake = Handshake.None,
            ReadTimeout = SerialPort.InfiniteTimeout,
            WriteTimeout = 2000,
        };
        try
        {
            port.Open();
            port.DiscardInBuffer();
            return new OwningStream(port);
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    /// <summary>An RTU master on a serial line; the port is reopened after it fails.</summary>
    public static ModbusMaster CreateMaster(SerialLineOptions options, TimeSpan? requestTimeout = null) =>
        ModbusMaster.CreateRtu(
            _ => ValueTask.FromResult(Open(options)),
            new ModbusRtuMasterOptions
            {
                Endpoint = options.Endpoint,
                Timing = options.Timing,
                RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(1),
            });

    /// <summary>Serves <paramref name="slave"/>'s units on a serial line until cancelled; returns bad frames seen.</summary>
    public static async Task<long> ServeAsync(ModbusSlave slave, SerialLineOptions options, CancellationToken cancellationToken)
    {
        await using var stream = Open(options);
        return await RtuSlaveLine.ServeAsync(slave, stream, options.Timing, cancellationToken);
    }

    /// <summary>The port's stream, closing the port with it.</summary>
    private sealed class OwningStream(SerialPort port) : Stream
    {
        private readonly Stream _inner = port.BaseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => _inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                port.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
