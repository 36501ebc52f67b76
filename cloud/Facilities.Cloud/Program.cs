using Facilities.Cloud;
using Facilities.Cloud.Access;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Configuration;

if (args is ["users", .. var rest])
{
    // facilities-cloud users add --name NAME --role admin  (docs/access.md)
    return await UsersCommand.RunAsync(rest, Console.In, Console.Out, Console.Error, CancellationToken.None);
}

if (args is ["rules", .. var ruleArgs])
{
    // facilities-cloud rules check FILE… / rules test FILE…  (docs/cloud.md § Rules, docs/alerting-rules.md § Testing rules)
    return await RulesCommand.RunAsync(ruleArgs, Console.In, Console.Out, Console.Error, CancellationToken.None);
}

try
{
    var app = CloudApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ConfigurationFileException error)
{
    Console.Error.WriteLine($"facilities-cloud: the configuration is invalid; not starting.\n{error.Message}");
    return 2;
}
catch (InvalidOperationException error) when (error.Message.StartsWith("configuration", StringComparison.Ordinal))
{
    Console.Error.WriteLine($"facilities-cloud: {error.Message}; not starting.");
    return 2;
}

/// <summary>The entry point; <see cref="CloudApp"/> composes the service.</summary>
public partial class Program;
