using System.Globalization;
using System.Text.Json;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>Peers/pymodbus_server.py hosting <see cref="InteropUnits"/>, on a free TCP port or on a pty.</summary>
internal sealed class PymodbusServer : IAsyncDisposable
{
    private const string ReadyPrefix = "READY ";
    private const string WritePrefix = "WRITE ";

    private readonly ChildProcess _process;

    private PymodbusServer(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The TCP port the server bound (0 on a serial line).</summary>
    public int Port { get; }

    public static Task<PymodbusServer> StartTcpAsync(CancellationToken cancellationToken) =>
        StartAsync("pymodbus TCP server", ["--tcp"], cancellationToken);

    public static Task<PymodbusServer> StartSerialAsync(string device, CancellationToken cancellationToken) =>
        StartAsync("pymodbus RTU server", ["--serial", device, "--baud", InteropTools.BaudRate.ToString(CultureInfo.InvariantCulture), "--parity", "N"], cancellationToken);

    /// <summary>Waits for the server to report a master's write into <paramref name="table"/> (co, hr) at <paramref name="address"/>.</summary>
    public async Task<int[]> WaitForWriteAsync(byte unit, string table, ushort address, CancellationToken cancellationToken)
    {
        var line = await _process.WaitForLineAsync(
            l => l.StartsWith(WritePrefix, StringComparison.Ordinal) && Matches(Parse(l), unit, table, address),
            $"a write to unit {unit} {table} {address}",
            InteropTools.ReplyTimeout,
            cancellationToken);
        return Parse(line).GetProperty("values").EnumerateArray().Select(v => v.GetInt32()).ToArray();
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static async Task<PymodbusServer> StartAsync(string name, string[] transport, CancellationToken cancellationToken)
    {
        var busy = InteropUnits.Busy.ToString(CultureInfo.InvariantCulture);
        var process = InteropTools.StartPeer(name, InteropTools.Python,
            [InteropTools.PeerScript("pymodbus_server.py"), "--units", InteropUnits.ToPymodbusJson(), "--busy", busy, .. transport]);
        try
        {
            var ready = await process.WaitForLineAsync(
                l => l.StartsWith(ReadyPrefix, StringComparison.Ordinal) || l.StartsWith("FATAL", StringComparison.Ordinal),
                "its READY line", InteropTools.StartupTimeout, cancellationToken);
            if (ready.StartsWith("FATAL", StringComparison.Ordinal))
            {
                Assert.Fail($"{name}: {ready} (the interop tests need `apt-get install python3-pymodbus`).\n{process.Tail()}");
            }

            // "READY tcp 127.0.0.1 PORT" or "READY serial PATH"
            var words = ready.Split(' ');
            var port = words[1] == "tcp" ? int.Parse(words[3], CultureInfo.InvariantCulture) : 0;
            return new PymodbusServer(process, port);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static JsonElement Parse(string line) => JsonDocument.Parse(line[WritePrefix.Length..]).RootElement;

    private static bool Matches(JsonElement write, byte unit, string table, ushort address) =>
        write.GetProperty("unit").GetInt32() == unit
        && write.GetProperty("table").GetString() == table
        && write.GetProperty("address").GetInt32() == address;
}
