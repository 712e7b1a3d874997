namespace HybridCaching.Redis.Client;

/// <summary>The RESP type of a reply (RESP2 types and the RESP3 additions).</summary>
public enum RedisReplyType
{
    /// <summary>A null reply (RESP2 null bulk string or array, RESP3 <c>_</c>).</summary>
    Null,

    /// <summary>A simple string (<c>+OK</c>).</summary>
    SimpleString,

    /// <summary>An error (<c>-ERR …</c> or RESP3 blob error); the client raises <see cref="RedisServerException"/> for it.</summary>
    Error,

    /// <summary>An integer (<c>:</c>).</summary>
    Integer,

    /// <summary>A bulk string (<c>$</c>), or a RESP3 verbatim string (<c>=</c>, its format prefix removed).</summary>
    BulkString,

    /// <summary>An array (<c>*</c>) or a RESP3 set (<c>~</c>).</summary>
    Array,

    /// <summary>A RESP3 map (<c>%</c>); its items alternate key, value.</summary>
    Map,

    /// <summary>A RESP3 double (<c>,</c>).</summary>
    Double,

    /// <summary>A RESP3 boolean (<c>#</c>).</summary>
    Boolean,

    /// <summary>A RESP3 big number (<c>(</c>), kept as its decimal text.</summary>
    BigNumber,

    /// <summary>A RESP3 out-of-band push (<c>&gt;</c>), e.g. a pub/sub message.</summary>
    Push,
}
