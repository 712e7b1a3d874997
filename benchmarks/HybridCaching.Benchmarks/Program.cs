using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Run all:      dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- --filter '*'
// Run a class:  dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- --filter '*HitPath*'
// The generated benchmark project may take minutes to build on a busy machine (the default limit is 2 minutes).
var config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
