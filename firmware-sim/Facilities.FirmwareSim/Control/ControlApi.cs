using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.FirmwareSim.Simulation;

namespace Facilities.FirmwareSim.Control;

/// <summary>What the control API says about a device.</summary>
public sealed record DeviceView(
    string Id, string Kind, string Name, string Site, string Building, string Bus, int Unit, bool Online,
    IReadOnlyCollection<string> Faults, IReadOnlyDictionary<string, double>? Values, IReadOnlyList<FaultInfo>? SupportedFaults);

/// <summary>
/// The simulator's HTTP control API (loopback by default): list devices and their live values, inject and clear
/// faults, take devices off the bus and back. Errors are RFC 9457 problem details.
/// </summary>
public static class ControlApi
{
    public static void MapControlApi(this WebApplication app, CommunityHost host)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok", community = host.File.Name, devices = host.Devices.Count }));
        app.MapGet("/buses", () => host.Buses);
        app.MapGet("/devices", (string? kind) => host.Devices
            .Where(d => kind is null || d.Kind == kind)
            .Select(d => View(d, details: false)));
        app.MapGet("/devices/{id}", (string id) => WithDevice(host, id, d => Results.Ok(View(d, details: true))));
        app.MapPost("/devices/{id}/faults/{fault}", (string id, string fault, int? port) =>
            WithDevice(host, id, d => ChangeFault(host, d, Qualified(fault, port), inject: true)));
        app.MapDelete("/devices/{id}/faults/{fault}", (string id, string fault, int? port) =>
            WithDevice(host, id, d => ChangeFault(host, d, Qualified(fault, port), inject: false)));
        app.MapPost("/devices/{id}/ports/{port:int}/plug", (string id, int port) =>
            WithDevice(host, id, d => UsePort(host, d, port, plug: true)));
        app.MapPost("/devices/{id}/ports/{port:int}/unplug", (string id, int port) =>
            WithDevice(host, id, d => UsePort(host, d, port, plug: false)));
        app.MapPost("/devices/{id}/offline", (string id) =>
            WithDevice(host, id, d => ChangeFault(host, d, "comm-offline", inject: true)));
        app.MapPost("/devices/{id}/online", (string id) =>
            WithDevice(host, id, d => ChangeFault(host, d, "comm-offline", inject: false)));
    }

    private static string Qualified(string fault, int? port) => port is { } p ? $"{fault}:{p}" : fault;

    private static IResult WithDevice(CommunityHost host, string id, Func<DeviceModel, IResult> action) =>
        host.Find(id) is { } device
            ? action(device)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such device", detail: $"There is no device '{id}' in this community.");

    private static IResult ChangeFault(CommunityHost host, DeviceModel device, string fault, bool inject)
    {
        var now = host.Clock.Now;
        var known = inject ? device.Inject(fault, now) : device.Clear(fault, now);
        return known
            ? Results.Ok(View(device, details: true))
            : Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Unknown fault",
                detail: $"A {device.Kind} has no fault '{fault}'. Known: {string.Join(", ", device.SupportedFaults.Select(f => f.Name))}." +
                    (device.Kind == "charger-shed" ? " Port faults need ?port=N." : ""));
    }

    private static IResult UsePort(CommunityHost host, DeviceModel device, int port, bool plug)
    {
        if (device is not ChargerShedModel shed || port < 1 || port > shed.PortCount)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "No such port",
                detail: device is ChargerShedModel s ? $"'{device.Id}' has ports 1..{s.PortCount}." : $"'{device.Id}' is a {device.Kind}, not a charger shed.");
        }

        var now = host.Clock.Now;
        return (plug ? shed.PlugIn(port, now) : shed.Unplug(port, now))
            ? Results.Ok(View(device, details: true))
            : Results.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: plug ? "Port not free" : "Nothing plugged in",
                detail: plug ? $"Port {port} of '{device.Id}' is not free (taken, faulty, out of service or without power)." : $"No bike is plugged into port {port} of '{device.Id}'.");
    }

    private static DeviceView View(DeviceModel device, bool details) => new(
        device.Id, device.Kind, device.Identity.Name, device.Identity.Site, device.Identity.Building, device.Identity.Bus,
        device.Identity.UnitId, device.Unit.Online, device.ActiveFaults,
        details ? device.Values() : null,
        details ? [.. device.SupportedFaults] : null);
}
