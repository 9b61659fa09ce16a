using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace UmlTlb.Bench.Report;

/// <summary>
/// The chart of a Measure-VmBatch run (build.ps1 Bench writes its rows as CSV): ns per op
/// against batch size, one line per architecture and transport, and the native baseline of
/// the same call as a dashed line in the line's colour, written as SVG with OxyPlot.
/// </summary>
internal static class BatchChart
{
    private sealed record Row(string Architecture, string Transport, int BatchSize, double NsPerOp, double NativeNs);

    public static void Write(string csvPath, string svgPath, string title)
    {
        var rows = Read(csvPath);
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"{csvPath} has no measured row.");
        }
        var model = new PlotModel { Title = title, Background = OxyColors.White };
        model.Axes.Add(new LogarithmicAxis
        {
            Position = AxisPosition.Bottom, Base = 2, Title = "batch size (host ops per round trip)",
            MajorGridlineStyle = LineStyle.Solid, MajorGridlineColor = OxyColor.FromRgb(230, 230, 230),
        });
        model.Axes.Add(new LogarithmicAxis
        {
            Position = AxisPosition.Left, Title = "ns per op (median)",
            MajorGridlineStyle = LineStyle.Solid, MajorGridlineColor = OxyColor.FromRgb(230, 230, 230),
        });
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopRight, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });

        // Each Measure-VmBatch call measures its own native baseline: on a busy machine they differ, so each
        // line gets the baseline of its own call, dashed, in its colour.
        OxyColor[] colours = [OxyColors.SteelBlue, OxyColors.OrangeRed, OxyColors.SeaGreen, OxyColors.MediumPurple, OxyColors.Goldenrod, OxyColors.Gray];
        int next = 0;
        foreach (var line in rows.GroupBy(r => (r.Architecture, r.Transport)).OrderBy(g => g.Key.Architecture, StringComparer.Ordinal).ThenBy(g => g.Key.Transport, StringComparer.Ordinal))
        {
            var colour = colours[next++ % colours.Length];
            var series = new LineSeries { Title = $"{line.Key.Architecture}, {line.Key.Transport}", Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = colour };
            series.Points.AddRange(line.OrderBy(r => r.BatchSize).Select(r => new DataPoint(r.BatchSize, r.NsPerOp)));
            model.Series.Add(series);
            double native = line.Average(r => r.NativeNs);
            var baseline = new LineSeries { Title = $"native, same call ({native:F0} ns/op)", LineStyle = LineStyle.Dash, Color = colour };
            baseline.Points.Add(new DataPoint(line.Min(r => r.BatchSize), native));
            baseline.Points.Add(new DataPoint(line.Max(r => r.BatchSize), native));
            model.Series.Add(baseline);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(svgPath))!);
        using var stream = File.Create(svgPath);
        new SvgExporter { Width = 800, Height = 480 }.Export(model, stream);
    }

    /// <summary>The rows of the CSV that were measured; native ns/op from each row's own ratio.</summary>
    private static List<Row> Read(string csvPath)
    {
        var lines = File.ReadAllLines(csvPath).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',').Select(h => h.Trim('"')).ToList();
        int Column(string name) => header.IndexOf(name) is var i and >= 0 ? i : throw new InvalidDataException($"{csvPath} has no column {name}.");
        int arch = Column("Architecture"), transport = Column("Transport"), batch = Column("BatchSize"), ns = Column("NsPerOp"), ratio = Column("RatioToNative");
        var rows = new List<Row>();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',').Select(v => v.Trim('"')).ToArray();
            double nsPerOp = double.Parse(f[ns], CultureInfo.InvariantCulture);
            rows.Add(new Row(f[arch], f[transport], int.Parse(f[batch], CultureInfo.InvariantCulture), nsPerOp,
                nsPerOp / double.Parse(f[ratio], CultureInfo.InvariantCulture)));
        }
        return rows;
    }
}
