namespace HybridCaching.Redis.Client;

/// <summary>A message received on a subscribed channel.</summary>
/// <param name="Channel">The channel it was published on.</param>
/// <param name="Payload">The published bytes (the subscriber's own array: handlers may keep it).</param>
/// <param name="Pattern">The pattern that matched, for a pattern subscription; otherwise <see langword="null"/>.</param>
public readonly record struct RedisChannelMessage(string Channel, byte[] Payload, string? Pattern = null);
