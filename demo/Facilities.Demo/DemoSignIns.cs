namespace Facilities.Demo;

/// <summary>A demo sign-in: created at the cloud's start through <c>Identity:SeedUsers</c>.</summary>
public sealed record DemoSignIn(string Name, string Role, string Password, string Sees);

/// <summary>The people of the demo, one per role. Demo passwords: never use these anywhere else.</summary>
public static class DemoSignIns
{
    public static DemoSignIn Engineer { get; } = new("engineer", "engineer", "demo-engineer", "alerts, work orders, everything but users");

    public static DemoSignIn Crew { get; } = new("crew", "crew", "demo-crew", "elevator health, alerts, acting on work orders");

    public static DemoSignIn Admin { get; } = new("admin", "admin", "demo-admin", "everything, including users and API tokens");

    public static IReadOnlyList<DemoSignIn> All { get; } = [Engineer, Crew, Admin];
}
