using System.Reflection;
using BenchmarkDotNet.Running;
using UGPNet.Benchmarks;

// Two modes:
//   dotnet run -c Release --project benchmarks/UGPNet.Benchmarks -- --quick [filter]
//       prints one `name: value unit` line per figure, in well under a minute;
//   dotnet run -c Release --project benchmarks/UGPNet.Benchmarks -- [BenchmarkDotNet args]
//       the full BenchmarkDotNet run (e.g. --filter '*Conv*').
if (args.Length > 0 && args[0] == "--quick")
{
    string? filter = args.Length > 1 ? args[1] : null;
    return QuickRunner.Run(filter);
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRunner).Assembly).Run(args);
return 0;

namespace UGPNet.Benchmarks
{
    /// <summary>A benchmark family that can also report its figures quickly, without BenchmarkDotNet.</summary>
    public interface IQuickFigures
    {
        IEnumerable<(string Name, double Value, string Unit)> Run();
    }

    public static class QuickRunner
    {
        public static int Run(string? filter)
        {
            var families = typeof(QuickRunner).Assembly.GetTypes()
                .Where(t => typeof(IQuickFigures).IsAssignableFrom(t) && !t.IsInterface && !t.IsAbstract)
                .Where(t => filter == null || t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                .OrderBy(t => t.Name);
            foreach (var type in families)
            {
                var family = (IQuickFigures)Activator.CreateInstance(type)!;
                foreach (var (name, value, unit) in family.Run())
                    Console.WriteLine($"{name}: {value:0.###} {unit}");
            }
            return 0;
        }

        /// <summary>Median seconds of <paramref name="reps"/> timed runs after <paramref name="warmup"/> untimed ones.</summary>
        public static double MedianSeconds(Action action, int reps = 5, int warmup = 1)
        {
            for (int i = 0; i < warmup; i++) action();
            var times = new double[reps];
            for (int i = 0; i < reps; i++)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                action();
                times[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            Array.Sort(times);
            return times[reps / 2];
        }

        /// <summary>Median over rounds of (bytesA/timeA) / (bytesB/timeB), A and B timed back to back in each round,
        /// so both see the same machine load.</summary>
        public static double PairedRatio(Action a, double bytesA, Action b, double bytesB, int rounds = 9)
        {
            a(); b();
            var ratios = new double[rounds];
            for (int i = 0; i < rounds; i++)
            {
                double ta = MedianSeconds(a, reps: 1, warmup: 0);
                double tb = MedianSeconds(b, reps: 1, warmup: 0);
                ratios[i] = (bytesA / ta) / (bytesB / tb);
            }
            Array.Sort(ratios);
            return ratios[rounds / 2];
        }
    }
}
