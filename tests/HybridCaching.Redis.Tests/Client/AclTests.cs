using HybridCaching.Redis.Client;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests.Client;

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class AclTests(RedisServerFixture server)
{
    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task AclUser_WithinItsRights_Works_AndOutsideGetsNoPerm(RedisProtocol protocol)
    {
        var (user, password, scope) = await CreateUserAsync();
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions
        {
            Host = server.Host,
            Port = server.Port,
            User = user,
            Password = password,
            Protocol = protocol,
        });

        await connection.ExecuteAsync("SET", $"{scope}:k", "v");
        Assert.Equal("v", (await connection.ExecuteAsync("GET", $"{scope}:k")).ToString());
        Assert.Equal(user, (await connection.ExecuteAsync("ACL", "WHOAMI")).ToString());

        var key = await Assert.ThrowsAsync<RedisServerException>(() => connection.ExecuteAsync("GET", "elsewhere"));
        var command = await Assert.ThrowsAsync<RedisServerException>(() => connection.ExecuteAsync("DEL", $"{scope}:k"));
        Assert.Equal("NOPERM", key.ErrorCode);
        Assert.Equal("NOPERM", command.ErrorCode);
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task AclUser_WrongPassword_FailsWithClearExceptionThatHidesThePassword(RedisProtocol protocol)
    {
        var (user, _, _) = await CreateUserAsync();
        var options = RedisConnectionOptions.Parse($"{server.EndPoint},user={user},password=Wrong-Secret-123,protocol={protocol}");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(options));

        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.EndPoint, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Wrong-Secret-123", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Wrong-Secret-123", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cache_WrongPassword_FailsFastAfterFirstAttempt()
    {
        var (user, _, _) = await CreateUserAsync();
        await using var cache = new RedisCache($"{server.EndPoint},user={user},password=nope");

        var first = await Assert.ThrowsAsync<RedisConnectionException>(async () => await cache.GetAsync("k"));

        Assert.Contains("WRONGPASS", first.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nope", first.ToString(), StringComparison.Ordinal);
    }

    private async Task<(string User, string Password, string Scope)> CreateUserAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var user = "u" + id;
        var password = "P" + Guid.NewGuid().ToString("N");
        var scope = "acl:" + id;
        await using var admin = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port });
        await admin.ExecuteAsync("ACL", "SETUSER", user, "reset", "on", ">" + password, $"~{scope}:*", "+get", "+set", "+@connection", "+acl|whoami");
        return (user, password, scope);
    }
}
