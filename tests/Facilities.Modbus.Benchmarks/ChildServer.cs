using System.Globalization;
using System.Reflection;

namespace Facilities.Modbus.Benchmarks;

/// <summary>A Modbus TCP server running as a child process that announces its port with "listening on port N".</summary>
internal sealed class ChildServer : IAsyncDisposable
{
    private const string Announcement = "listening on port ";

    // Servers stop by themselves after this long, so a crashed benchmark leaves nothing running for long.
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private readonly ChildProcess _process;

    private ChildServer(string name, ChildProcess process, int port)
    {
        Name = name;
        _process = process;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>libmodbus/bench_server built by run.sh into <paramref name="libmodbusDirectory"/>.</summary>
    public static Task<ChildServer> StartLibmodbusAsync(string libmodbusDirectory, CancellationToken cancellationToken) =>
        StartAsync("libmodbus server", Path.Combine(libmodbusDirectory, "bench_server"),
            ["0", Lifetime.TotalSeconds.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    /// <summary>This executable's <c>serve</c> command: our <see cref="Slave.ModbusSlaveServer"/>.</summary>
    public static Task<ChildServer> StartOursAsync(CancellationToken cancellationToken)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running");
        List<string> arguments = ["serve", "--lifetime", Lifetime.TotalSeconds.ToString(CultureInfo.InvariantCulture)];
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Started as "dotnet Facilities.Modbus.Benchmarks.dll": the child needs the assembly named too.
            arguments.Insert(0, Assembly.GetExecutingAssembly().Location);
        }

        return StartAsync("Facilities.Modbus slave", host, arguments, cancellationToken);
    }

    private static async Task<ChildServer> StartAsync(string name, string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var process = ChildProcess.Start(name, program, arguments, new ChildProcessOptions { StopGrace = TimeSpan.Zero });
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith(Announcement, StringComparison.Ordinal), "its port", TimeSpan.FromSeconds(30), cancellationToken);
            return new ChildServer(name, process, int.Parse(line.AsSpan(Announcement.Length), CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
