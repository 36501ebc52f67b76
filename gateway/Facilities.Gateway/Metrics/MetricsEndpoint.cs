using System.Globalization;
using System.Net;
using System.Text;

namespace Facilities.Gateway.Metrics;

/// <summary>
/// Prometheus text exposition of the gateway's own health on a local port (<c>GET /metrics</c>): polls, failures and
/// exception answers per device, poll latency, bus utilisation per lane, online devices, outbox depth and drops,
/// messages published and broker connection.
/// </summary>
public sealed partial class MetricsEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly GatewayRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Task _loop;

    public MetricsEndpoint(GatewayRuntime runtime, int port, TimeProvider time)
    {
        _runtime = runtime;
        _time = time;
        _started = time.GetTimestamp();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = ServeAsync();
    }

    public string Render()
    {
        var text = new StringBuilder();
        var uptime = _time.GetElapsedTime(_started).TotalSeconds;
        var devices = _runtime.Devices.ToList();
        void Line(string name, string labels, double value) =>
            text.Append(CultureInfo.InvariantCulture, $"{name}{(labels.Length > 0 ? "{" + labels + "}" : "")} {value}\n");
        void Help(string name, string type, string help) => text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

        Help("facilities_gateway_device_polls_total", "counter", "Polls of each device.");
        devices.ForEach(d => Line("facilities_gateway_device_polls_total", $"device=\"{d.Id}\"", d.Polls));
        Help("facilities_gateway_device_failures_total", "counter", "Polls that ended in a timeout or a broken connection.");
        devices.ForEach(d => Line("facilities_gateway_device_failures_total", $"device=\"{d.Id}\"", d.Failures));
        Help("facilities_gateway_device_exception_answers_total", "counter", "Reads the device refused with a Modbus exception other than 2.");
        devices.ForEach(d => Line("facilities_gateway_device_exception_answers_total", $"device=\"{d.Id}\"", d.ExceptionAnswers));
        Help("facilities_gateway_device_poll_seconds_mean", "gauge", "Mean time one poll of the device takes.");
        devices.ForEach(d => Line("facilities_gateway_device_poll_seconds_mean", $"device=\"{d.Id}\"", d.Polls == 0 ? 0 : d.BusyTime.TotalSeconds / d.Polls));
        Help("facilities_gateway_device_online", "gauge", "1 if the device answers, 0 if offline.");
        devices.ForEach(d => Line("facilities_gateway_device_online", $"device=\"{d.Id}\"", d.Online == true ? 1 : 0));
        Help("facilities_gateway_lane_utilisation", "gauge", "Share of time a bus lane spent in transactions since start.");
        foreach (var lane in _runtime.Lanes)
        {
            Line("facilities_gateway_lane_utilisation", $"lane=\"{lane.Name}\"", uptime <= 0 ? 0 : lane.Devices.Sum(d => d.BusyTime.TotalSeconds) / uptime);
        }

        Help("facilities_gateway_outbox_depth", "gauge", "Messages waiting for the broker's acknowledgement.");
        Line("facilities_gateway_outbox_depth", "", _runtime.Outbox.Depth);
        Help("facilities_gateway_outbox_dropped_total", "counter", "Messages dropped because the outbox was full.");
        Line("facilities_gateway_outbox_dropped_total", "", _runtime.Outbox.Dropped);
        Help("facilities_gateway_published_total", "counter", "Messages the broker acknowledged.");
        Line("facilities_gateway_published_total", "", _runtime.Publisher.Published);
        Help("facilities_gateway_broker_connected", "gauge", "1 while connected to the MQTT broker.");
        Line("facilities_gateway_broker_connected", "", _runtime.Publisher.Connected ? 1 : 0);
        return text.ToString();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var response = context.Response;
            if (context.Request.Url?.AbsolutePath != "/metrics")
            {
                response.StatusCode = 404;
                continue;
            }

            var body = Encoding.UTF8.GetBytes(Render());
            response.ContentType = "text/plain; version=0.0.4";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
