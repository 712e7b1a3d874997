using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>Factory calls as counted by the benchmark process (<see cref="FactoryCalls"/>): per operation (1 on a miss,
/// 1 for 100 callers on one cold key when stampede protection works), or over the whole run (0 for hits).</summary>
/// <param name="perOperation">Whether the table counts operations.</param>
internal sealed class FactoryCallsColumn(bool perOperation) : IColumn
{
    public string Id => nameof(FactoryCallsColumn);

    public string ColumnName => perOperation ? "Factory calls/op" : "Factory calls (run)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => perOperation
        ? "Factory calls per operation over the whole run (warm-up included), counted in the benchmark process"
        : "Factory calls over the whole run after setup filled the cache (warm-up included), counted in the benchmark process";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var name = benchmarkCase.Descriptor.Type.FullName + "." + benchmarkCase.Descriptor.WorkloadMethod.Name;
        return FactoryCalls.Read(name) switch
        {
            null => "?",
            { Ops: > 0 } counts when perOperation => ((double)counts.Calls / counts.Ops).ToString("0.####", CultureInfo.InvariantCulture),
            { } counts when !perOperation => counts.Calls.ToString(CultureInfo.InvariantCulture),
            _ => "?",
        };
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Adds <see cref="FactoryCallsColumn"/> to a benchmark class.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class FactoryCallsColumnAttribute : ColumnConfigBaseAttribute
{
    public FactoryCallsColumnAttribute(bool perOperation)
        : base(new FactoryCallsColumn(perOperation))
    {
    }
}
