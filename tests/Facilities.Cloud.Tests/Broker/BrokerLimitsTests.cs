using Facilities.Cloud.Broker;
using Microsoft.Extensions.Configuration;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Tests.Broker;

public sealed class BrokerLimitsTests
{
    [Fact]
    public void Bind_ReadsTheLimitsFromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Limits:MaxPacketSize"] = "262144",
            ["Broker:Limits:ConnectTimeout"] = "00:00:03",
            ["Broker:Limits:RetainedMessagesPerUser"] = "50",
        }).Build();

        var limits = Settings.Bind<BrokerOptions>(configuration, BrokerOptions.Section).Limits;

        Assert.Equal((262144, TimeSpan.FromSeconds(3), 50, TimeSpan.FromSeconds(10)), (limits.MaxPacketSize, limits.ConnectTimeout, limits.RetainedMessagesPerUser, limits.AuthenticationTimeout));
    }

    [Fact]
    public void Validate_LimitsOutOfRange_NameTheirPaths()
    {
        var options = new BrokerOptions
        {
            Limits = new BrokerLimits { MaxPacketSize = 100, ConnectTimeout = TimeSpan.FromSeconds(20), RetainedBytesPerUser = -1 },
        };

        var problems = options.Validate();

        Assert.Contains(problems, p => p.StartsWith("Broker:Limits:MaxPacketSize: 100", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Limits:AuthenticationTimeout:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Broker:Limits:RetainedBytesPerUser: -1", StringComparison.Ordinal));
    }
}
