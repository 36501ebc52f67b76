namespace Facilities.Cloud.Access;

/// <summary>
/// Slows password guessing without handing an attacker a way to lock the owner out. Failures are counted per user name
/// and client address: after <see cref="AccessOptions.SignInFreeFailures"/> of them that pair waits
/// <see cref="AccessOptions.SignInFirstDelay"/>, doubling with each further failure up to
/// <see cref="AccessOptions.SignInMaxDelay"/>; a success clears it. Per name, failures from everywhere are capped by
/// <see cref="AccessOptions.SignInPerUserPer5Minutes"/>: while the cap is spent, only addresses that have not failed
/// for that name may try (one guess each before they count as failing), so the owner signing in from their usual place
/// still gets in while a spread-out attacker gets one guess per address. Before any of this, the ASP.NET rate limiter
/// policy <see cref="ClientPolicy"/> caps attempts per address per minute whatever the name.
/// Counts live in this instance's memory: with N instances an attacker gets N times the budget, still far too few
/// guesses for a password of eight or more characters.
/// </summary>
internal sealed class SignInThrottle(AccessOptions options, TimeProvider time)
{
    public const string ClientPolicy = "sign-in-per-client";

    private static readonly TimeSpan NameWindow = TimeSpan.FromMinutes(5);

    // Past this many remembered pairs, those quiet for longer than the longest delay are forgotten.
    private const int PruneAbove = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Name, string Client), PairFailures> _pairs = [];
    private readonly Dictionary<string, NameFailures> _names = new(StringComparer.Ordinal);

    /// <summary>Null when an attempt for the name from the client may go ahead; otherwise how long the client should wait.</summary>
    public TimeSpan? Check(string userName, string client)
    {
        var now = time.GetUtcNow();
        var name = Normal(userName);
        lock (_lock)
        {
            var pair = _pairs.GetValueOrDefault((name, client));
            if (pair is not null && Delay(pair.Count) is { } delay && pair.Last + delay > now)
            {
                return pair.Last + delay - now;
            }

            if (pair is not null && _names.TryGetValue(name, out var named) && named.Since + NameWindow > now && named.Count >= options.SignInPerUserPer5Minutes)
            {
                return named.Since + NameWindow - now;
            }

            return null;
        }
    }

    /// <summary>Records a wrong password (or unknown name) for the name from the client.</summary>
    public void Failed(string userName, string client)
    {
        var now = time.GetUtcNow();
        var name = Normal(userName);
        lock (_lock)
        {
            if (_pairs.Count > PruneAbove)
            {
                Prune(now);
            }

            var pair = _pairs.GetValueOrDefault((name, client)) ?? new PairFailures();
            pair.Count++;
            pair.Last = now;
            _pairs[(name, client)] = pair;

            if (!_names.TryGetValue(name, out var named) || named.Since + NameWindow <= now)
            {
                _names[name] = named = new NameFailures { Since = now };
            }

            named.Count++;
        }
    }

    /// <summary>The right password: this client's failures for the name are forgotten.</summary>
    public void Succeeded(string userName, string client)
    {
        lock (_lock)
        {
            _pairs.Remove((Normal(userName), client));
        }
    }

    /// <summary>The wait after <paramref name="failures"/> failures in a row; null while they are within the free ones.</summary>
    public TimeSpan? Delay(int failures)
    {
        var over = failures - options.SignInFreeFailures;
        if (over < 0)
        {
            return null;
        }

        var delay = options.SignInFirstDelay * Math.Pow(2, Math.Min(over, 30));
        return delay < options.SignInMaxDelay ? delay : options.SignInMaxDelay;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _pairs.Where(p => p.Value.Last + options.SignInMaxDelay < now).Select(p => p.Key).ToList())
        {
            _pairs.Remove(key);
        }

        foreach (var name in _names.Where(n => n.Value.Since + NameWindow <= now).Select(n => n.Key).ToList())
        {
            _names.Remove(name);
        }
    }

    private static string Normal(string name) => name.ToUpperInvariant();

    private sealed class PairFailures
    {
        public int Count { get; set; }

        public DateTimeOffset Last { get; set; }
    }

    private sealed class NameFailures
    {
        public int Count { get; set; }

        public DateTimeOffset Since { get; set; }
    }
}
