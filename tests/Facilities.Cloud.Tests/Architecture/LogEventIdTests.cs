using System.Reflection;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Alerts;
using Microsoft.Extensions.Logging;

namespace Facilities.Cloud.Tests.Architecture;

/// <summary>
/// Log events are found by id in operations (docs name them), so every <c>[LoggerMessage]</c> in the cloud states its
/// id and no two share one. The attribute's <see cref="LoggerMessageAttribute.EventId"/> is -1 when left out.
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly Assembly[] CloudAssemblies = [typeof(AlertEngine).Assembly, typeof(AlertLifecycle).Assembly];

    [Fact]
    public void LoggerMessages_InTheCloud_HaveAnExplicitUniqueEventId()
    {
        var messages = LoggerMessages();
        Assert.NotEmpty(messages);

        var missing = messages.Where(m => m.EventId <= 0).Select(m => m.Method).ToList();
        var duplicates = messages.GroupBy(m => m.EventId).Where(g => g.Key > 0 && g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();

        Assert.True(missing.Count == 0, "[LoggerMessage] without EventId: " + string.Join(", ", missing));
        Assert.True(duplicates.Count == 0, "EventId used more than once: " + string.Join("; ", duplicates));
    }

    private static List<(int EventId, string Method)> LoggerMessages() =>
        CloudAssemblies.Distinct()
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => (m.Attribute!.EventId, $"{m.Method.DeclaringType!.FullName}.{m.Method.Name}"))
            .ToList();
}
