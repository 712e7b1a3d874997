// Consumes the packed packages as a user would, then checks what the packages carry:
// the cache works over memory and over an unreachable Redis, and each library has a SourceLink record.
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using HybridCaching;
using HybridCaching.AspNetCore;
using HybridCaching.Redis;

var expectedRepository = args.Length > 0 ? args[0] : throw new ArgumentException("usage: PackageSmoke <repository-url>");

await using var memory = new MemoryCache(maxItems: 1000, maxBytes: 1 << 20, maxTtl: TimeSpan.FromHours(1));
var func = new CacheFunc(memory, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
var calls = 0;
for (var i = 0; i < 3; i++)
{
    var value = await func.DoAsync("k", _ => Task.FromResult($"v{Interlocked.Increment(ref calls)}"));
    Check(value == "v1", $"memory: expected v1, got {value}");
}

// Redis on a port nothing listens on: the hybrid level keeps serving from memory.
await using var hybrid = new HybridCache(new RedisCache("127.0.0.1:1"), new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1)));
var overHybrid = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
var fromHybrid = await overHybrid.DoAsync("k", _ => Task.FromResult("from factory"));
Check(fromHybrid == "from factory", $"hybrid with Redis down: got {fromHybrid}");
Check(new HybridResponseCachingOptions().GetType().Assembly.GetName().Name == "HybridCaching.AspNetCore", "AspNetCore package");

foreach (var assembly in new[] { typeof(CacheFunc).Assembly, typeof(RedisCache).Assembly, typeof(HybridResponseCachingOptions).Assembly })
{
    var sourceLink = ReadSourceLink(assembly);
    Check(sourceLink.Contains(expectedRepository.Replace("https://github.com/", "https://raw.githubusercontent.com/"), StringComparison.Ordinal),
        $"{assembly.GetName().Name}: SourceLink record missing or wrong: '{sourceLink}'");
    Console.WriteLine($"{assembly.GetName().Name} {assembly.GetName().Version}: SourceLink {sourceLink}");
}

Console.WriteLine("package smoke test: OK");
return 0;

static string ReadSourceLink(Assembly assembly)
{
    var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    using var pe = new PEReader(File.OpenRead(assembly.Location));
    var embedded = pe.ReadDebugDirectory().FirstOrDefault(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
    if (embedded.DataSize == 0)
    {
        return "";
    }

    using var pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
    var reader = pdb.GetMetadataReader();
    foreach (var handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
    {
        var info = reader.GetCustomDebugInformation(handle);
        if (reader.GetGuid(info.Kind) == sourceLinkKind)
        {
            return System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value));
        }
    }

    return "";
}

static void Check(bool condition, string message)
{
    if (!condition)
    {
        Console.Error.WriteLine("package smoke test FAILED: " + message);
        Environment.Exit(1);
    }
}
