namespace HybridCaching.Serialization.MessagePack;

/// <summary>The family of a MessagePack value, as reported by <see cref="MessagePackReader.PeekType"/>.</summary>
public enum MessagePackType
{
    /// <summary>nil (<c>0xc0</c>).</summary>
    Nil,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>Any integer: fixint, uint8…uint64, int8…int64.</summary>
    Integer,

    /// <summary>float32 or float64.</summary>
    Float,

    /// <summary>fixstr, str8, str16 or str32.</summary>
    String,

    /// <summary>bin8, bin16 or bin32.</summary>
    Binary,

    /// <summary>fixarray, array16 or array32.</summary>
    Array,

    /// <summary>fixmap, map16 or map32.</summary>
    Map,

    /// <summary>fixext or ext, including the timestamp extension (type −1).</summary>
    Extension,
}
