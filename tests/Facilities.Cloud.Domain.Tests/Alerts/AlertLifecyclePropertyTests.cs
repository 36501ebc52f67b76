using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Alerts;

/// <summary>
/// Random runs of facts and times through the lifecycle (seeded, so a failure repeats), each step checked against
/// what must hold whatever happens. The run keeps what a store keeps: the open alert and the firing times of past ones.
/// </summary>
public sealed class AlertLifecyclePropertyTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly FlapPolicy Flap = new(3, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(15));
    private static readonly AlertLifecycle Lifecycle = new(Flap);

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomRun_WithFor_NeverFiresWithoutPendingFirstAndForHeld(int seed)
    {
        var rule = new AlertRule("boiler.supply-low", "warning", "Supply low", TimeSpan.FromMinutes(5));
        Run(seed, rule, (step, _) =>
        {
            if (step.Transition.Change == AlertChange.Opened)
            {
                Assert.Equal(AlertState.Pending, step.Transition.Next!.State);
            }

            if (step.Transition.Next is { State: AlertState.Firing } next && step.Before?.State != AlertState.Firing && step.Before?.State != AlertState.Acknowledged)
            {
                Assert.Equal(AlertState.Pending, step.Before?.State);
                Assert.True(step.Now - next.OpenedAt >= rule.For, $"fired {step.Now - next.OpenedAt} after opening, for is {rule.For}");
            }
        });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomRun_AcknowledgeNeverUnfires(int seed)
    {
        Run(seed, Rule(seed), (step, _) =>
        {
            if (step.Before is { State: AlertState.Acknowledged })
            {
                Assert.Contains(step.Transition.Next?.State, new AlertState?[] { AlertState.Acknowledged, AlertState.Resolved });
            }

            if (step.Fact is AcknowledgedByPerson && step.Transition.Change == AlertChange.Acknowledged)
            {
                Assert.Equal(AlertState.Firing, step.Before?.State);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomRun_FlappingAlertResolvesBySystemOnlyAfterItsConditionStayedClearForTheHold(int seed)
    {
        Run(seed, Rule(seed), (step, history) =>
        {
            if (step.Before is { Flapping: true } before && step.Transition.Change == AlertChange.Resolved && step.Fact is ConditionObserved)
            {
                Assert.NotNull(before.ClearSince);
                Assert.True(step.Now - before.ClearSince >= Flap.Hold);
                Assert.DoesNotContain(history, s => s.Now >= before.ClearSince && s.Fact is ConditionObserved { Verdict.Active: true });
            }

            if (step.Transition.Change == AlertChange.StartedFlapping)
            {
                Assert.True(step.RecentFirings >= Flap.Count);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomRun_EachAlertAnnouncesFiringAtMostOnceAndNeverWhileSuppressed(int seed)
    {
        var firingNotices = new Dictionary<long, int>();
        Run(seed, Rule(seed), (step, _) =>
        {
            foreach (var notice in step.Transition.Events.Select(e => e.Notice).OfType<AlertAnnouncement>())
            {
                Assert.Null(step.Transition.Next?.Suppressed);
                if (notice.State == AlertState.Firing)
                {
                    var id = step.Transition.Next!.Id;
                    firingNotices[id] = firingNotices.GetValueOrDefault(id) + 1;
                    Assert.Equal(1, firingNotices[id]);
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomRun_OccurrencesNeverFallAndResolvedAlertsStayResolved(int seed)
    {
        Run(seed, Rule(seed), (step, _) =>
        {
            if (step.Before is { } before && step.Transition.Next is { } next && next.Id == before.Id)
            {
                Assert.True(next.Occurrences >= before.Occurrences);
                Assert.True(next.OpenedAt == before.OpenedAt);
            }

            Assert.NotEqual(AlertState.Resolved, step.Before?.State);
        });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomRun_PersonResolvingWhileTheConditionHolds_NextObservationOpensANewAlert(int seed)
    {
        Step? resolvedByPerson = null;
        Run(seed, Rule(seed), (step, _) =>
        {
            if (resolvedByPerson is not null && step.Fact is ConditionObserved { Verdict.Active: true })
            {
                Assert.Equal(AlertChange.Opened, step.Transition.Change);
                resolvedByPerson = null;
            }
            else if (step.Fact is ConditionObserved { Verdict.Active: false })
            {
                resolvedByPerson = null;
            }

            if (step.Fact is ResolvedByPerson && step.Transition.Change == AlertChange.Resolved)
            {
                resolvedByPerson = step;
            }
        });
    }

    [Fact]
    public void RandomRuns_ReachEveryChangeTheFactsCanCause()
    {
        // The properties above mean something only if the runs reach flapping, holds, recurrences and people acting.
        var seen = new HashSet<AlertChange>();
        foreach (var seed in Enumerable.Range(1, 40))
        {
            Run(seed, Rule(seed), (step, _) => seen.Add(step.Transition.Change));
        }

        Assert.Equal(Enum.GetValues<AlertChange>().Except([AlertChange.Noted]).Order(), seen.Order());
    }

    private static AlertRule Rule(int seed) =>
        new("elevator.door-fails", "warning", "Door", seed % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromMinutes(2));

    private sealed record Step(AlertFact Fact, Alert? Before, DateTimeOffset Now, int RecentFirings, AlertTransition Transition);

    /// <summary>300 facts at random intervals: verdicts that hold or clear (some unknown, some suppressed, some in maintenance) and people acting.</summary>
    private static void Run(int seed, AlertRule rule, Action<Step, IReadOnlyList<Step>> check)
    {
        var random = new Random(seed);
        var now = Start;
        Alert? open = null;
        var nextId = 1L;
        var firedAt = new List<DateTimeOffset>();
        var history = new List<Step>();
        for (var i = 0; i < 300; i++)
        {
            now += TimeSpan.FromSeconds(random.Next(5, 8 * 60));
            AlertFact fact = random.Next(20) switch
            {
                0 => new AcknowledgedByPerson("li.si", null),
                1 => new ResolvedByPerson("li.si", "fixed"),
                2 => new ConditionObserved(Verdict.Unknown),
                3 => new ConditionObserved(new Verdict(true, 1, "fault", "inspection mode")),
                4 => new ConditionObserved(new Verdict(true, 1, "fault"), "maintenance window"),
                // Runs of one verdict, so conditions hold long enough to fire and flap.
                _ => new ConditionObserved(random.Next(100) < (i / 25 % 2 == 0 ? 70 : 30) ? new Verdict(true, 1, "fault") : new Verdict(false, 0, "clear")),
            };
            var recent = AlertLifecycle.NeedsRecentFirings(fact, open) ? firedAt.Count(at => at >= now - Flap.Window) : 0;
            var transition = Lifecycle.Next(fact, rule, open, now, recent);
            var next = transition.Next;
            if (transition.Change == AlertChange.Opened)
            {
                next = next! with { Id = nextId++ };
                transition = transition with { Next = next };
            }

            if (next is { FiredAt: { } fired } && open?.FiredAt is null)
            {
                firedAt.Add(fired);
            }

            var step = new Step(fact, open, now, recent, transition);
            check(step, history);
            history.Add(step);
            open = next is { State: AlertState.Resolved } ? null : next;
        }
    }
}
