using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

public sealed class RedisConnectionOptionsTests
{
    [Fact]
    public void Parse_FullConnectionString_SetsEverySetting()
    {
        var options = RedisConnectionOptions.Parse(
            "cache.internal:6390, password=s3cret,user=app,defaultDatabase=3,ssl=true,sslHost=cache.example,connectTimeout=1500,syncTimeout=250,name=web-1,protocol=resp2,abortConnect=false");

        Assert.Equal("cache.internal", options.Host);
        Assert.Equal(6390, options.Port);
        Assert.Equal("s3cret", options.Password);
        Assert.Equal("app", options.User);
        Assert.Equal(3, options.DefaultDatabase);
        Assert.True(options.Ssl);
        Assert.Equal("cache.example", options.SslHost);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.CommandTimeout);
        Assert.Equal("web-1", options.ClientName);
        Assert.Equal(RedisProtocol.Resp2, options.Protocol);
    }

    [Theory]
    [InlineData("localhost", "localhost", 6379)]
    [InlineData("10.0.0.1:7000", "10.0.0.1", 7000)]
    [InlineData("[::1]:6380", "::1", 6380)]
    [InlineData("[::1]", "::1", 6379)]
    public void Parse_EndPoints(string text, string host, int port)
    {
        var options = RedisConnectionOptions.Parse(text);

        Assert.Equal(host, options.Host);
        Assert.Equal(port, options.Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("password=x")]
    [InlineData("a:1,b:2")]
    [InlineData("a:99999")]
    [InlineData("a:1,bogus=1")]
    [InlineData("a:1,connectTimeout=soon")]
    public void Parse_Invalid_ThrowsArgumentException(string text)
        => Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse(text));

    [Fact]
    public void ToStringAndErrors_NeverShowThePassword()
    {
        var options = RedisConnectionOptions.Parse("h:1,password=TopSecret,user=u");
        var error = Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse("h:1,password=TopSecret,defaultDatabase=TopSecret"));

        Assert.DoesNotContain("TopSecret", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("password=*****", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("TopSecret", error.Message, StringComparison.Ordinal);
        Assert.Equal(options.ToString(), RedisConnectionOptions.Parse(options.ToString().Replace("*****", "TopSecret", StringComparison.Ordinal)).ToString());
    }

    // A password holding ',' is cut into further "settings" or "endpoints": whatever error that causes must not show any
    // piece of it, not even a setting name (a setting named in the error may be part of the password).
    [Theory]
    [InlineData("h:1,password=Tq8x,Zk3v=Wj5y", "Tq8x,Zk3v=Wj5y")]
    [InlineData("h:1,password=Tq8x,Zk3v=Wj5y,ssl=true", "Tq8x,Zk3v=Wj5y")]
    [InlineData("h:1,password=Tq8x,ssl=Zk3v", "Tq8x,ssl=Zk3v")]
    [InlineData("h:1,password=Tq8x,defaultDatabase=Zk3v", "Tq8x,defaultDatabase=Zk3v")]
    [InlineData("h:1,password=Tq8x,protocol=Zk3v", "Tq8x,protocol=Zk3v")]
    [InlineData("h:1,password=Tq8x,abortConnect=Zk3v", "Tq8x,abortConnect=Zk3v")]
    [InlineData("h:1,password=Tq8x,keepAlive=Zk3v", "Tq8x,keepAlive=Zk3v")]
    [InlineData("h:1,password=Tq8x,connectTimeout=-7", "Tq8x,connectTimeout=-7")]
    [InlineData("h:1,password=Tq8x,Zk3v", "Tq8x,Zk3v")]
    [InlineData("password=Tq8x,Zk3v:Wj5y", "Tq8x,Zk3v:Wj5y")]
    [InlineData("password=Tq8x,[Zk3v", "Tq8x,[Zk3v")]
    [InlineData("password=Tq8x,:6379", "Tq8x,:6379")]
    [InlineData("h:1,Zk3v=Wj5y,PASSWORD=Tq8x", "Tq8x")]
    public void Parse_Invalid_WithPassword_ErrorShowsNoPartOfTheString(string text, string password)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse(text));

        var fragments = text.Split(',', '=', ':', '[', ']').Select(f => f.Trim()).Where(f => f.Length > 1 && !f.Equals("password", StringComparison.OrdinalIgnoreCase));
        Assert.All(fragments, fragment => Assert.DoesNotContain(fragment, error.Message, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(password, error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    [Theory]
    [InlineData("h:1,bogus=1", "'bogus'")]
    [InlineData("h:1,ssl=perhaps", "'ssl'")]
    [InlineData("h:1,connectTimeout=soon", "'connectTimeout'")]
    public void Parse_Invalid_WithoutPassword_ErrorNamesTheSetting(string text, string named)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse(text));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
