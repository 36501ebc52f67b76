using System.Globalization;
using System.Text.Json;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>Peers/pymodbus_client.py connected to a <see cref="HostedSlave"/>: one JSON command, one JSON answer.</summary>
internal sealed class PymodbusClient : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private PymodbusClient(ChildProcess process) => _process = process;

    public static async Task<PymodbusClient> ConnectAsync(HostedSlave slave, CancellationToken cancellationToken)
    {
        var port = slave.Transport == SlaveTransport.RtuOnPty ? "" : slave.Port.ToString(CultureInfo.InvariantCulture);
        string[] transport = slave.Transport switch
        {
            SlaveTransport.Tcp => ["--tcp", "127.0.0.1", port],
            SlaveTransport.RtuOverTcp => ["--rtu-over-tcp", "127.0.0.1", port],
            _ => ["--serial", slave.PeerDevice, "--baud", InteropTools.BaudRate.ToString(CultureInfo.InvariantCulture), "--parity", "N"],
        };
        var timeout = ((int)InteropTools.ReplyTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var process = InteropTools.StartPeer($"pymodbus client ({slave.Transport})", InteropTools.Python,
            [InteropTools.PeerScript("pymodbus_client.py"), .. transport, "--timeout", timeout]);
        try
        {
            var ready = await process.WaitForLineAsync(
                l => l is "READY" || l.StartsWith("FATAL", StringComparison.Ordinal), "its READY line", InteropTools.StartupTimeout, cancellationToken);
            if (ready != "READY")
            {
                Assert.Fail($"pymodbus client: {ready} (the interop tests need `apt-get install python3-pymodbus`).\n{process.Tail()}");
            }

            return new PymodbusClient(process);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one command (see pymodbus_client.py) and returns pymodbus' answer.</summary>
    public async Task<PymodbusAnswer> SendAsync(object command, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(command);
        await _process.WriteLineAsync(json, cancellationToken);
        // The script answers every command, at the latest after its own reply timeout.
        var answer = await _process.ReadLineAsync(InteropTools.ReplyTimeout * 4, cancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"pymodbus: {json} -> {answer}");
        return new PymodbusAnswer(json, JsonDocument.Parse(answer).RootElement);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>pymodbus' view of one request: values, a Modbus exception code, or an error (no valid reply).</summary>
internal sealed record PymodbusAnswer(string Command, JsonElement Json)
{
    public bool Ok => Json.GetProperty("ok").GetBoolean();

    public int? Exception => Json.TryGetProperty("exception", out var code) ? code.GetInt32() : null;

    public string? Error => Json.TryGetProperty("error", out var error) ? error.GetString() : null;

    public ushort[] Registers => Success.GetProperty("registers").EnumerateArray().Select(r => r.GetUInt16()).ToArray();

    public bool[] Bits => Success.GetProperty("bits").EnumerateArray().Select(b => b.GetInt32() != 0).ToArray();

    public double Value => Success.GetProperty("value").GetDouble();

    private JsonElement Success => Ok ? Json : throw new InvalidOperationException($"pymodbus did not succeed: {this}");

    public override string ToString() => $"{Command} -> {Json}";
}
