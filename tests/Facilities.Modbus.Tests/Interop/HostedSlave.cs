using System.Net;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Serial;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>How our slave is reached by the peer masters.</summary>
public enum SlaveTransport
{
    /// <summary>Modbus TCP on a free loopback port.</summary>
    Tcp,

    /// <summary>RTU frames over a TCP socket, as behind a serial-to-Ethernet converter.</summary>
    RtuOverTcp,

    /// <summary>RTU on one end of a socat pty pair; the peer opens the other end.</summary>
    RtuOnPty,
}

/// <summary>Our <see cref="ModbusSlave"/> hosting <see cref="InteropUnits"/>, served on one transport until disposed.</summary>
internal sealed class HostedSlave : IAsyncDisposable
{
    private readonly ModbusSlaveServer? _server;
    private readonly PtyPair? _pty;
    private readonly CancellationTokenSource? _stopServing;
    private readonly Task<long>? _serving;

    private HostedSlave(SlaveTransport transport, ModbusSlave slave, ModbusSlaveServer? server, PtyPair? pty, CancellationTokenSource? stopServing, Task<long>? serving)
    {
        Transport = transport;
        Slave = slave;
        _server = server;
        _pty = pty;
        _stopServing = stopServing;
        _serving = serving;
    }

    public SlaveTransport Transport { get; }

    public ModbusSlave Slave { get; }

    /// <summary>The loopback port of a TCP transport.</summary>
    public int Port => _server?.LocalEndpoint.Port ?? throw new InvalidOperationException($"{Transport} has no TCP port.");

    /// <summary>The pty the peer opens on <see cref="SlaveTransport.RtuOnPty"/>.</summary>
    public string PeerDevice => _pty?.PeerEnd ?? throw new InvalidOperationException($"{Transport} has no pty.");

    public RegisterStoreView Unit(byte unit) => new(Slave.Find(unit)?.Registers ?? throw new ArgumentOutOfRangeException(nameof(unit), unit, "not hosted"));

    public static async Task<HostedSlave> StartAsync(SlaveTransport transport, CancellationToken cancellationToken)
    {
        var slave = InteropUnits.CreateSlave();
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        switch (transport)
        {
            case SlaveTransport.Tcp:
                return new HostedSlave(transport, slave, ModbusSlaveServer.StartTcp(slave, loopback), null, null, null);
            case SlaveTransport.RtuOverTcp:
                return new HostedSlave(transport, slave, ModbusSlaveServer.StartRtuOverTcp(slave, loopback), null, null, null);
            default:
                var pty = await PtyPair.OpenAsync(cancellationToken);
                var stop = new CancellationTokenSource();
                try
                {
                    // ServeAsync opens the port before its first await, so the line is ours before any peer writes.
                    var serving = SerialLine.ServeAsync(slave, pty.OurLine, stop.Token);
                    if (serving.IsFaulted)
                    {
                        await serving;
                    }

                    return new HostedSlave(transport, slave, null, pty, stop, serving);
                }
                catch
                {
                    stop.Dispose();
                    await pty.DisposeAsync();
                    throw;
                }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_stopServing is not null && _serving is not null)
        {
            await _stopServing.CancelAsync();
            try
            {
                await _serving;
            }
            catch (OperationCanceledException)
            {
                // Stopped as asked.
            }

            _stopServing.Dispose();
        }

        if (_pty is not null)
        {
            await _pty.DisposeAsync();
        }
    }
}

/// <summary>Reads our slave's tables the way the device side sees them.</summary>
internal sealed record RegisterStoreView(RegisterStore Store)
{
    public ushort[] Holding(ushort address, int count) =>
        [.. Enumerable.Range(address, count).Select(a => Store.Get(RegisterTable.HoldingRegisters, (ushort)a))];

    public bool[] Coils(ushort address, int count) =>
        [.. Enumerable.Range(address, count).Select(a => Store.GetBit(RegisterTable.Coils, (ushort)a))];
}
