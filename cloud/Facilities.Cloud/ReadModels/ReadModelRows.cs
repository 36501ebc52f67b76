namespace Facilities.Cloud.ReadModels;

/// <summary>A device with its gateway's link state, as the read models query it.</summary>
internal sealed record DeviceLinkRow
{
    public string Site { get; init; } = "";

    public string Device { get; init; } = "";

    public string Building { get; init; } = "";

    public string Gateway { get; init; } = "";

    public string State { get; init; } = "";

    public long LastSeen { get; init; }

    public string? GatewayState { get; init; }
}

/// <summary>A row of <c>latest_values</c>.</summary>
internal sealed record LatestValueRow
{
    public string Site { get; init; } = "";

    public string Device { get; init; } = "";

    public string Point { get; init; } = "";

    public double Value { get; init; }

    public string? Label { get; init; }

    public long Ts { get; init; }
}

/// <summary>An alert of an elevator's own rules, as its fault history lists it.</summary>
internal sealed record FaultRow
{
    public long Id { get; init; }

    public string Site { get; init; } = "";

    public string Device { get; init; } = "";

    public string RuleId { get; init; } = "";

    public string Title { get; init; } = "";

    public string Severity { get; init; } = "";

    public string State { get; init; } = "";

    public long FiredAt { get; init; }

    public long? ResolvedAt { get; init; }
}

/// <summary>Which elevators a health read covers: one site or all (<c>Site</c> null), one device or all; faults since <c>Since</c> (Unix ms).</summary>
internal sealed record ElevatorFilter(string? Site, string? Device, string Kind, long Since);
