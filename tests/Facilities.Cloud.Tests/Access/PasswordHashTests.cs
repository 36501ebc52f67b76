using Facilities.Cloud.Access;

namespace Facilities.Cloud.Tests.Access;

public sealed class PasswordHashTests
{
    [Fact]
    public void Create_ThenVerify_AcceptsOnlyThePassword()
    {
        var hash = PasswordHash.Create("s3cret");

        Assert.StartsWith("$7$10000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHash.Verify("s3cret", hash));
        Assert.False(PasswordHash.Verify("s3cret ", hash));
        Assert.Null(PasswordHash.Problem(hash));
    }

    [Fact]
    public async Task Verify_AcceptsAHashWrittenByMosquittoPasswd()
    {
        // The same password file line serves the embedded broker and an external Mosquitto.
        const string Tool = "/usr/bin/mosquitto_passwd";
        Assert.True(File.Exists(Tool), $"{Tool} not found: apt-get install mosquitto");
        var file = Path.GetTempFileName();
        try
        {
            var run = await ChildProcess.RunAsync(Tool, ["-b", file, "site-a/gw-a", "pa55 word"], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal(0, run.ExitCode);
            var hash = (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Trim().Split(':', 2)[1];

            Assert.True(PasswordHash.Verify("pa55 word", hash));
            Assert.False(PasswordHash.Verify("pa55word", hash));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("$6$salt$hash")]
    [InlineData("$7$abc$c2FsdA==$aGFzaA==")]
    [InlineData("$7$101$not base64$aGFzaA==")]
    [InlineData("$7$101$c2FsdA==")]
    public void Problem_NamesAMalformedHash(string hash)
    {
        Assert.NotNull(PasswordHash.Problem(hash));
        Assert.False(PasswordHash.Verify("anything", hash));
    }
}
