namespace Facilities.Tests.AlertQuality;

/// <summary>
/// One labelled fault: on which device, which fault (charger-port faults as <c>name:port</c>), from when to when.
/// Natural conditions the estate develops on its own (an AED's pads coming within 30 days of expiry) are labelled
/// too, with <see cref="Natural"/> set: they are true alerts, not false ones.
/// </summary>
internal sealed record LabelledFault(int Id, string Device, FaultKind Kind, string Fault, DateTimeOffset Start, DateTimeOffset End, bool Natural = false);

/// <summary>
/// The seeded, labelled schedule: every fault of every kind <c>repeats</c> times, each on a device of its kind drawn
/// at random, at a random time, for long enough that its rule can fire (deadline plus ten minutes or more), and never
/// within two hours of another fault on the same device, so every alert can be told apart.
/// </summary>
internal static class FaultSchedule
{
    private static readonly TimeSpan Gap = TimeSpan.FromHours(2);

    public static List<LabelledFault> Build(
        IReadOnlyList<(string Device, string Kind, int Ports)> devices, Func<FaultKind, TimeSpan?> deadline, DateTimeOffset start, DateTimeOffset end,
        int repeats, int seed, IReadOnlyList<LabelledFault> natural)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(deadline);
        var random = new Random(seed);
        var faults = new List<LabelledFault>(natural);
        var id = faults.Count == 0 ? 1 : faults.Max(f => f.Id) + 1;
        var warmUp = TimeSpan.FromHours(2);
        for (var round = 0; round < repeats; round++)
        {
            foreach (var kind in FaultCatalogue.All)
            {
                var candidates = devices.Where(d => d.Kind == kind.Kind).ToList();
                if (candidates.Count == 0)
                {
                    continue;
                }

                var minimum = (deadline(kind) ?? TimeSpan.FromMinutes(5)) + TimeSpan.FromMinutes(10);
                for (var attempt = 0; attempt < 200; attempt++)
                {
                    var device = candidates[random.Next(candidates.Count)];
                    var duration = minimum + TimeSpan.FromMinutes(random.Next(0, 31));
                    var latest = end - duration - Gap - warmUp;
                    if (latest <= start)
                    {
                        break;
                    }

                    var from = start + warmUp + TimeSpan.FromMinutes(random.NextDouble() * (latest - start - warmUp).TotalMinutes);
                    from = new DateTimeOffset(from.Ticks - (from.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
                    var to = from + duration;
                    if (faults.Any(f => f.Device == device.Device && f.Start - Gap < to && from < f.End + Gap))
                    {
                        continue;
                    }

                    var fault = kind.PerPort ? $"{kind.Fault}:{random.Next(1, device.Ports + 1)}" : kind.Fault;
                    faults.Add(new LabelledFault(id++, device.Device, kind, fault, from, to));
                    break;
                }
            }
        }

        return [.. faults.OrderBy(f => f.Start).ThenBy(f => f.Id)];
    }
}
