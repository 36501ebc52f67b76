using System.Globalization;

namespace Facilities.Demo;

/// <summary>What the demo listens on and where it keeps its files; every default can be overridden on the command line.</summary>
public sealed record DemoOptions
{
    public const string Usage = """
        facilities-demo — the sample estate, a gateway and the cloud on one machine

          --web-port N        cloud pages and API (default 8080)
          --mqtt-port N       the cloud's embedded MQTT broker (default 1883)
          --sim-port N        firmware-sim control API, used by `facilities-sim inject` (default 5080)
          --webhook-port N    the local receiver notifications are sent to (default 8081)
          --modbus-port N     first of the four Modbus TCP / RTU-over-TCP ports (default 15020, uses N..N+3)
          --serial-dir DIR    where the serial lines' pty links are made (default /tmp/facilities-sim)
          --data DIR          database, broker, gateway outbox, notification log (default data/demo; wiped at start)
          --speed X           simulated seconds per real second (default 1)
          --influx URL        also write telemetry to this InfluxDB 1.x (database --influx-db, default facilities)
        Port 0 picks a free port.
        """;

    public int WebPort { get; init; } = 8080;

    public int MqttPort { get; init; } = 1883;

    public int SimPort { get; init; } = 5080;

    public int WebhookPort { get; init; } = 8081;

    /// <summary>The sample estate's four TCP buses get this port and the next three, in file order; 0 picks free ones.</summary>
    public int ModbusPort { get; init; } = 15020;

    public string SerialDirectory { get; init; } = "/tmp/facilities-sim";

    public string DataDirectory { get; init; } = Path.Combine("data", "demo");

    public double Speed { get; init; } = 1;

    public string InfluxUrl { get; init; } = "";

    public string InfluxDatabase { get; init; } = "facilities";

    /// <summary>Start the gateway in-process (the scenario tests run it as a process of its own to cut its power).</summary>
    public bool StartGateway { get; init; } = true;

    /// <summary>Reads <c>--name value</c> pairs; throws <see cref="ArgumentException"/> naming the option on bad input.</summary>
    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new DemoOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name}: a value is missing");
            }

            var value = args[++i];
            options = name switch
            {
                "--web-port" => options with { WebPort = Port(name, value) },
                "--mqtt-port" => options with { MqttPort = Port(name, value) },
                "--sim-port" => options with { SimPort = Port(name, value) },
                "--webhook-port" => options with { WebhookPort = Port(name, value) },
                "--modbus-port" => options with { ModbusPort = Port(name, value) },
                "--serial-dir" => options with { SerialDirectory = value },
                "--data" => options with { DataDirectory = value },
                "--speed" => options with { Speed = ParseSpeed(name, value) },
                "--influx" => options with { InfluxUrl = value },
                "--influx-db" => options with { InfluxDatabase = value },
                _ => throw new ArgumentException($"{name}: unknown option"),
            };
        }

        return options;
    }

    private static int Port(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65532
            ? port
            : throw new ArgumentException($"{name}: '{value}' is not a TCP port (0..65532; 0 picks a free one)");

    private static double ParseSpeed(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var speed) && speed is >= 0 and <= 10_000
            ? speed
            : throw new ArgumentException($"{name}: '{value}' is not a speed (0..10000 simulated seconds per second)");
}
