using System.Globalization;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Access;

/// <summary>
/// <c>facilities-cloud users add|list|remove|passwd|token|revoke</c>: manages sign-ins in the database the service
/// uses (same configuration: appsettings.json, environment, <c>--Storage:ConnectionString=…</c>). Passwords are read
/// from standard input, never from the command line (where other users of the machine could read them).
/// </summary>
internal static class UsersCommand
{
    private const string Usage = """
        usage: facilities-cloud users add --name NAME --role resident|crew|engineer|admin   (password from stdin)
               facilities-cloud users list
               facilities-cloud users remove --name NAME
               facilities-cloud users passwd --name NAME                                 (password from stdin)
               facilities-cloud users token --name NAME [--label LABEL]                  (prints a new API token)
               facilities-cloud users revoke --name NAME --label LABEL
        Configuration options (--Storage:Provider=…, --Storage:ConnectionString=…) may follow.
        """;

    /// <summary>Runs the command; 0 on success, 1 when it could not be done, 2 on a usage error.</summary>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length == 0)
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var verb = args[0];
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var configurationArgs = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] is "--name" or "--role" or "--label")
            {
                if (i + 1 >= args.Length)
                {
                    await error.WriteLineAsync($"facilities-cloud users: {args[i]} needs a value\n{Usage}");
                    return 2;
                }

                options[args[i][2..]] = args[++i];
            }
            else
            {
                configurationArgs.Add(args[i]);
            }
        }

        // The same configuration sources as the service, so the command finds the service's database.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. configurationArgs], ContentRootPath = AppContext.BaseDirectory });
        var access = Settings.Bind<AccessOptions>(builder.Configuration, "Identity");
        await using var database = CloudDatabase.Create(Settings.Bind<StorageOptions>(builder.Configuration, "Storage"));
        await Migrations.ApplyAsync(database, Schema.All, cancellationToken);
        var users = new UserStore(database, access, TimeProvider.System);
        var name = options.GetValueOrDefault("name");

        async Task<string?> ReadPasswordAsync()
        {
            if (!Console.IsInputRedirected && ReferenceEquals(input, Console.In))
            {
                await error.WriteAsync("password: ");
            }

            var password = await input.ReadLineAsync(cancellationToken);
            if (UserStore.PasswordProblem(password) is { } problem)
            {
                await error.WriteLineAsync($"facilities-cloud users: {problem}");
                return null;
            }

            return password;
        }

        async Task<int> Fail(string message)
        {
            await error.WriteLineAsync($"facilities-cloud users: {message}");
            return 1;
        }

        switch (verb)
        {
            case "add":
            {
                var role = options.GetValueOrDefault("role");
                if (UserStore.NameProblem(name) is { } nameProblem)
                {
                    return await Fail($"--name: {nameProblem}");
                }

                if (!Roles.IsKnown(role))
                {
                    return await Fail($"--role must be one of {string.Join(", ", Roles.All)}; got '{role}'");
                }

                if (await ReadPasswordAsync() is not { } password)
                {
                    return 1;
                }

                if (!await users.AddAsync(name!, role!, password, cancellationToken))
                {
                    return await Fail($"there is already a user '{name}'");
                }

                await output.WriteLineAsync($"added {name} ({role})");
                return 0;
            }

            case "list":
                foreach (var user in await users.ListAsync(cancellationToken))
                {
                    var tokens = user.Tokens.Count == 0 ? string.Empty : " tokens: " + string.Join(", ", user.Tokens.Select(t => t.Label));
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{user.Name}\t{user.Role}\t{user.CreatedAt:yyyy-MM-dd}{tokens}"));
                }

                return 0;

            case "remove" when name is not null:
                return await users.RemoveAsync(name, cancellationToken) ? await Done($"removed {name}") : await Fail($"there is no user '{name}'");

            case "passwd" when name is not null:
                return await ReadPasswordAsync() is { } newPassword
                    ? await users.SetPasswordAsync(name, newPassword, cancellationToken) ? await Done($"password of {name} changed; their sessions and API tokens ended") : await Fail($"there is no user '{name}'")
                    : 1;

            case "token" when name is not null:
            {
                var label = options.GetValueOrDefault("label") ?? "cli";
                if (UserStore.LabelProblem(label) is { } labelProblem)
                {
                    return await Fail($"--label: {labelProblem}");
                }

                var token = await users.IssueTokenAsync(name, label, cancellationToken);
                return token is null ? await Fail($"there is no user '{name}'") : await Done(token);
            }

            case "revoke" when name is not null && options.ContainsKey("label"):
                return await users.RevokeTokensAsync(name, options["label"], cancellationToken) > 0
                    ? await Done($"revoked {name}'s '{options["label"]}' tokens")
                    : await Fail($"user '{name}' has no token labelled '{options["label"]}'");

            default:
                await error.WriteLineAsync(Usage);
                return 2;
        }

        async Task<int> Done(string message)
        {
            await output.WriteLineAsync(message);
            return 0;
        }
    }
}
