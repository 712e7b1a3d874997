using BenchmarkDotNet.Running;

// Run all:      dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- --filter '*'
// Run a class:  dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- --filter '*HitPath*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
