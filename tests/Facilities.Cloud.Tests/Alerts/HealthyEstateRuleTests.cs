using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Rules;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>
/// The demo's estate left alone raises nothing: the sample estate's boilers, sheds and AED cabinets (firmware-sim's
/// models, as the demo runs them) through a January day, judged by every shipped rule of their kinds with the demo's
/// site file (boiler-2 heats floors). Pure and in virtual time, minute by minute; "for" and windows as the cloud
/// applies them.
/// </summary>
public sealed class HealthyEstateRuleTests
{
    [Fact]
    public void SampleEstate_HealthyForAJanuaryDay_NoBoilerShedOrAedRuleFires()
    {
        var root = RuleSetTests.FindRoot();
        var rules = RuleFiles.Load(
            new RulesOptions
            {
                File = Path.Combine(root, "cloud", "Facilities.Cloud", "rulesets", "default-rules.json"),
                SiteDirectory = Path.Combine(root, "demo", "Facilities.Demo", "rules-sites"),
            },
            root);
        var start = new DateTimeOffset(2027, 1, 14, 16, 0, 0, TimeSpan.Zero); // midnight in Beijing
        var community = CommunityLoader.Load(Path.Combine(root, "firmware-sim", "Facilities.FirmwareSim", "communities", "sample-estate.json"));
        var models = CommunityLoader.CreateDevices(community, start).Where(m => m.Kind != "elevator").ToList();
        Assert.Equal(2, models.Count(m => m.Kind == "boiler"));
        Assert.Equal(60, rules.Settings("estate-a", "boiler-2", "boiler").Number("maxSupply"));

        var fired = new List<string>();
        foreach (var model in models)
        {
            var site = model.Identity.Site;
            var settings = rules.Settings(site, model.Id, model.Kind);
            var deviceRules = rules.For(site, model.Kind).Where(r => r.Type is not (RuleType.Offline or RuleType.Stale)).ToList();
            var since = new Dictionary<string, DateTimeOffset>();
            var active = new HashSet<string>();
            var history = new Dictionary<string, List<Sample>>();
            for (var now = start; now <= start.AddDays(1); now += TimeSpan.FromMinutes(1))
            {
                model.Advance(now);
                var values = model.Values();
                foreach (var rule in deviceRules.Where(r => r.Window is not null && values.ContainsKey(r.Point!)))
                {
                    WindowAggregate.Add(history.TryGetValue(rule.Point!, out var samples) ? samples : history[rule.Point!] = [], new Sample(now, values[rule.Point!]), rule.Window!.Over);
                }

                var facts = new DeviceFacts(site, "gw", model.Id, model.Kind, model.Identity.Building, true, start, null, now,
                    values.ToDictionary(v => v.Key, v => new PointReading(v.Value, Label(model, v.Key, v.Value), now), StringComparer.Ordinal),
                    settings, history.ToDictionary(h => h.Key, h => (IReadOnlyList<Sample>)h.Value));
                foreach (var rule in deviceRules)
                {
                    if (RuleEvaluator.Evaluate(rule, facts, active.Contains(rule.Id), now) is not { Active: true, Suppressed: null } verdict)
                    {
                        active.Remove(rule.Id);
                        since.Remove(rule.Id);
                        continue;
                    }

                    active.Add(rule.Id);
                    var began = since.TryGetValue(rule.Id, out var at) ? at : since[rule.Id] = now;
                    if (now - began >= (rule.PendingFor(settings) ?? TimeSpan.Zero))
                    {
                        fired.Add($"{model.Id} {rule.Id} at {now:yyyy-MM-dd HH:mm}: {verdict.Detail}");
                        since[rule.Id] = DateTimeOffset.MaxValue; // once per episode
                    }
                }
            }
        }

        Assert.Empty(fired);
    }

    private static string? Label(DeviceModel model, string point, double value) =>
        model.Map.Points.FirstOrDefault(p => p.Name == point)?.Labels?.GetValueOrDefault((int)value);
}
