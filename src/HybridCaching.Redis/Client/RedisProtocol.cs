namespace HybridCaching.Redis.Client;

/// <summary>The RESP protocol version the client asks for.</summary>
public enum RedisProtocol
{
    /// <summary>RESP2 only: no <c>HELLO</c> is sent.</summary>
    Resp2 = 2,

    /// <summary>RESP3 through <c>HELLO 3</c> where the server has it (Redis 6+), falling back to RESP2 otherwise.</summary>
    Resp3 = 3,
}
