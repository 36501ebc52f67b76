namespace Facilities.Cloud.Domain.Tests;

public sealed class DomainPurityTests
{
    /// <summary>The compiler keeps the core pure as long as the project references nothing that does I/O; this keeps the references honest.</summary>
    [Fact]
    public void DomainAssembly_ReferencesNoDatabaseWebOrMqttLibrary()
    {
        string[] forbidden = ["Dapper", "Microsoft.Data.Sqlite", "Npgsql", "System.Data.Common", "Microsoft.AspNetCore", "MQTTnet", "Microsoft.Extensions.Hosting", "System.Net.Http"];
        var referenced = DomainAssembly.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToList();

        var impure = referenced.Where(name => forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal))).ToList();

        Assert.True(referenced.Count > 0, "the domain assembly lists no references at all");
        Assert.Empty(impure);
    }
}
