using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using HybridCaching.Benchmarks;
using HybridCaching.Benchmarks.Fleet;
using HybridCaching.Benchmarks.Http;
using HybridCaching.Benchmarks.Peers;

// Run all:      dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- --filter '*'
// Run a class:  dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- --filter '*HitPath*'
// Reused-hit probe, raw TryGetValue vs ours vs Microsoft's, best of alternating rounds (issue 20): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- hit-probe [rounds]
// Cold-miss probe, raw MemoryCache vs ours vs Microsoft's, best of alternating rounds (issue 20): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- cold-probe [rounds]
// Serializer probe, ours vs bare MessagePack-CSharp (issue 21): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- serializer-probe [rounds]
// Backplane load run (issue 13): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- backplane-load [seconds]
// Fleet load run, N worker processes on a 3+3 cluster (issue 23): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- fleet-load [sizes, e.g. 2,4,8,16,32] [results folder] [seconds per steady/burst point] [burst keys/s, default 1000]
// Node stall run, one primary of the 3+3 cluster SIGSTOPped (issue 23): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- node-stall [results folder] [baseline s] [stall s] [after s]
// Publish outage run, the writer's publishes refused for 2 s (issue 23): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- publish-outage [results folder] [repetitions] [readers] [outage s]
// HTTP load run, ours vs OutputCache on Kestrel (issue 14): dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- http-load [seconds per round] [results folder] [connections] [rounds]
if (args.Length > 0 && args[0] == FleetLoadRun.Command)
{
    await FleetLoadRun.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == NodeStallRun.Command)
{
    await NodeStallRun.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == PublishOutageRun.Command)
{
    await PublishOutageRun.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == FleetWorker.Command)
{
    Environment.ExitCode = await FleetWorker.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "http-load")
{
    await HttpLoadRun.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == HttpLoadClient.Command)
{
    Environment.ExitCode = await HttpLoadClient.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == HitProbe.Command)
{
    await HitProbe.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == ColdMissProbe.Command)
{
    await ColdMissProbe.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == SerializerProbe.Command)
{
    SerializerProbe.Run(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "backplane-load")
{
    await BackplaneLoadRun.RunAsync(args[1..]);
    return;
}

// The generated benchmark project may take minutes to build on a busy machine (the default limit is 2 minutes).
var config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
