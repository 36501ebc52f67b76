using Facilities.Cloud.Broker;
using Microsoft.Extensions.Configuration;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Tests.Broker;

public sealed class BrokerOptionsTests
{
    [Fact]
    public void Bind_ReadsUsersAndRolesFromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Port"] = "1884",
            ["Broker:Tls:Port"] = "8883",
            ["Broker:Users:0:Username"] = "site-a/gw-a",
            ["Broker:Users:0:PasswordHash"] = "$7$101$c2FsdHNhbHRzYWx0$aGFzaA==",
            ["Broker:Users:0:Role"] = "gateway",
            ["Broker:Users:0:Site"] = "site-a",
            ["Broker:Users:0:Gateway"] = "gw-a",
            ["Broker:Users:1:Username"] = "cloud",
            ["Broker:Users:1:Password"] = "x",
            ["Broker:Users:1:Role"] = "cloud",
        }).Build();

        var options = Settings.Bind<BrokerOptions>(configuration, BrokerOptions.Section);

        Assert.Equal(1884, options.Port);
        Assert.Equal(8883, options.Tls.Port);
        Assert.Equal([BrokerRole.Gateway, BrokerRole.Cloud], options.Users.Select(u => u.Role));
        Assert.Equal("site-a", options.Users[0].Site);
        Assert.Equal("127.0.0.1", options.BindAddress);
    }

    [Fact]
    public void Validate_NamesThePathOfEveryProblem()
    {
        var options = new BrokerOptions
        {
            BindAddress = "localhost",
            Tls = new BrokerTlsOptions { Port = 8883, Certificate = "/nonexistent/cert.pem" },
            Users =
            [
                new BrokerUser { Username = "gw", Password = "x", Role = BrokerRole.Gateway, Site = "Site A" },
                new BrokerUser { Username = "gw", Password = "x", PasswordHash = "$7$1$c2FsdA==$aGFzaA==", Role = BrokerRole.Cloud },
                new BrokerUser { Username = EmbeddedBroker.LocalUsername, PasswordHash = "$6$old", Role = BrokerRole.Cloud, Site = "s" },
            ],
        };

        var problems = options.Validate();

        Assert.Contains(problems, p => p.StartsWith("Broker:BindAddress: 'localhost'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Tls:Certificate: file '/nonexistent/cert.pem' does not exist", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Tls:Key: required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Users:0:Site: 'Site A' is not an identifier", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Users:0:Gateway: '' is not an identifier", StringComparison.Ordinal));
        Assert.Contains("Broker:Users:1:Username: 'gw' is listed twice", problems);
        Assert.Contains("Broker:Users:1: give exactly one of Password and PasswordHash", problems);
        Assert.Contains(problems, p => p.StartsWith($"Broker:Users:2:Username: '{EmbeddedBroker.LocalUsername}' is reserved", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Users:2:PasswordHash: not a Mosquitto PBKDF2 hash", StringComparison.Ordinal));
        Assert.Contains("Broker:Users:2: Site and Gateway belong to role gateway only", problems);
        Assert.Equal(10, problems.Count);
    }

    [Fact]
    public void Validate_AcceptsTheDefaults() => Assert.Empty(new BrokerOptions().Validate());
}
