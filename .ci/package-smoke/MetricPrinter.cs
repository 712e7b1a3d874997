// Shared by the DI smoke apps: listens to the "HybridCaching" meter and prints every instrument's total once.
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

internal sealed class MetricPrinter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _totals = new();

    public MetricPrinter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "HybridCaching")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, _, _) => _totals.AddOrUpdate(i.Name, value, (_, t) => t + value));
        _listener.SetMeasurementEventCallback<double>((i, _, _, _) => _totals.AddOrUpdate(i.Name + ".count", 1, (_, t) => t + 1));
        _listener.Start();
    }

    public double this[string name] => _totals.GetValueOrDefault(name);

    public void Print()
    {
        foreach (var (name, total) in _totals.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {name} = {total}");
        }
    }

    public void Dispose() => _listener.Dispose();
}
