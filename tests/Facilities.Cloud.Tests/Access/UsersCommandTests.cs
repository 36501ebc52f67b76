using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Tests.Access;

/// <summary><c>facilities-cloud users …</c> against a SQLite file, as an operator runs it for the first admin.</summary>
public sealed class UsersCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("users-cli-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Database => $"--Storage:ConnectionString=Data Source={Path.Combine(_directory, "cloud.db")}";

    [Fact]
    public async Task Add_ReadsThePasswordFromStdin_AndTheUserCanSignIn_ButNotTwice()
    {
        var (code, output, error) = await RunAsync("first-admin-password\n", "add", "--name", "wang", "--role", "admin", Database, "--Identity:PasswordIterations=10000");
        Assert.True(code == 0, error);
        Assert.Contains("added wang (admin)", output, StringComparison.Ordinal);

        await using var database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "cloud.db")}" });
        var users = new UserStore(database, new AccessOptions(), TimeProvider.System);
        Assert.Equal(("wang", "admin"), (await users.VerifyPasswordAsync("wang", "first-admin-password", Ct)) is { } u ? (u.Name, u.Role) : default);
        Assert.Null(await users.VerifyPasswordAsync("wang", "first-admin-passwordX", Ct));

        (code, _, error) = await RunAsync("another-password\n", "add", "--name", "wang", "--role", "crew", Database);
        Assert.Equal(1, code);
        Assert.Contains("already a user 'wang'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short\n", "add --name li --role crew", "at least 8 characters")]
    [InlineData("long-enough\n", "add --name li --role janitor", "--role must be one of resident, crew, engineer, admin")]
    [InlineData("long-enough\n", "add --role crew", "--name: a user name is required")]
    [InlineData("", "frobnicate", "usage:")]
    public async Task BadInput_IsRefused_NamingWhatIsWrong(string stdin, string arguments, string expected)
    {
        var (code, _, error) = await RunAsync(stdin, [.. arguments.Split(' '), Database]);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_IsPrintedOnce_AcceptedAsBearer_ListedByLabel_AndRevoked()
    {
        Assert.Equal(0, (await RunAsync("prometheus-pass\n", "add", "--name", "prometheus", "--role", "engineer", Database, "--Identity:PasswordIterations=10000")).Code);
        var (code, token, _) = await RunAsync("", "token", "--name", "prometheus", "--label", "scrape", Database);
        Assert.Equal(0, code);
        token = token.Trim();
        Assert.StartsWith(UserStore.TokenPrefix, token, StringComparison.Ordinal);

        await using var database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "cloud.db")}" });
        var users = new UserStore(database, new AccessOptions(), TimeProvider.System);
        Assert.Equal("prometheus", (await users.FindTokenAsync(token, Ct))?.Name);
        Assert.Equal(0L, await CountAsync(database, $"SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{token}'")); // stored hashed

        var (_, list, _) = await RunAsync("", "list", Database);
        Assert.Contains("prometheus\tengineer", list, StringComparison.Ordinal);
        Assert.Contains("tokens: scrape", list, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("", "revoke", "--name", "prometheus", "--label", "scrape", Database)).Code);
        Assert.Null(await users.FindTokenAsync(token, Ct));
        Assert.Equal(0, (await RunAsync("", "remove", "--name", "prometheus", Database)).Code);
        Assert.Equal(1, (await RunAsync("", "remove", "--name", "prometheus", Database)).Code);
    }

    private static async Task<long> CountAsync(CloudDatabase database, string sql)
    {
        await using var connection = await database.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await UsersCommand.RunAsync(args, new StringReader(stdin), output, error, Ct);
        return (code, output.ToString(), error.ToString());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
