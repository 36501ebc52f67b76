using System.Collections.Concurrent;
using Facilities.Cloud.Domain.Sequences;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// This instance's copy of each gateway's handled runs (<c>seen_ranges</c> and the gateway's frontier,
/// <see cref="SeenFrontier"/>), tagged with the gateway's stream version
/// (<c>gateway_streams.version</c>). Every ingest transaction that records a gateway's numbers holds the gateway's turn
/// and moves that version up (<see cref="SeenRangeStore.AdvanceAsync"/>), so a copy tagged with the version a transaction
/// found is exactly what is stored: no other instance has handled the gateway since. Then the transaction reads nothing
/// and writes only the runs it changed. A backlog spread over several consumer slots arrives interleaved, so a gateway can
/// hold thousands of short runs for a while; reading and rewriting all of them in every batch was most of a transaction's
/// time (docs/benchmarks.md, cloud ingest). Copies are replaced, never changed.
/// </summary>
internal sealed class SeenRunCache
{
    private readonly ConcurrentDictionary<(string Site, string Gateway), (long Version, SeenRange[] Rows, SeenRange[] Frontier)> _gateways = new();

    /// <summary>The gateway's settled runs and frontier as of <paramref name="version"/>, or null when this instance has no copy that current.</summary>
    public (SeenRange[] Rows, SeenRange[] Frontier)? Find(string site, string gateway, long version) =>
        _gateways.TryGetValue((site, gateway), out var copy) && copy.Version == version ? (copy.Rows, copy.Frontier) : null;

    /// <summary>After a commit: the gateway's runs are <paramref name="rows"/> and <paramref name="frontier"/> as of <paramref name="version"/>.</summary>
    public void Committed(string site, string gateway, long version, SeenRange[] rows, SeenRange[] frontier) =>
        _gateways.AddOrUpdate((site, gateway), (version, rows, frontier), (_, old) => old.Version >= version ? old : (version, rows, frontier));
}
