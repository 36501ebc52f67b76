namespace Facilities.Demo;

/// <summary>A demo sign-in: created at the cloud's start through <c>Identity:SeedUsers</c>.</summary>
public sealed record DemoSignIn(string Name, string Role, string Password, string Sees);

/// <summary>The people of the demo, one per role. Demo passwords: never use these anywhere else.</summary>
public static class DemoSignIns
{
    public static IReadOnlyList<DemoSignIn> All { get; } =
    [
        new("engineer", "engineer", "demo-engineer", "the engineer console: alerts, work orders, everything but users"),
        new("crew", "crew", "demo-crew", "the crew's elevator health and their work orders"),
        new("admin", "admin", "demo-admin", "everything, including users and API tokens"),
    ];
}
