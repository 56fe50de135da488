using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Dptr.Cli.Commands;

/// <summary>
/// Typed options with range checks made at parse time (a bad value is a usage error naming the option, before any
/// work starts). Defaults come from the library's Options classes: callers pass them in, e.g.
/// <c>CliOptions.Int("--batch", "...", new DptrPretrainOptions().BatchSize, min: 1)</c>, so each lives once.
/// </summary>
internal static class CliOptions
{
    /// <summary>The CLI's seed when <c>--seed</c> is not given (the library's trainers take the MLContext's seed).</summary>
    public const int DefaultSeed = 1;

    /// <summary>A required path (file or folder) option.</summary>
    public static Option<string> RequiredPath(string name, string description) => new(name)
    {
        Description = description, Required = true, HelpName = "path",
    };

    /// <summary>An optional path option.</summary>
    public static Option<string?> Path(string name, string description) => new(name) { Description = description, HelpName = "path" };

    /// <summary>An optional string option.</summary>
    public static Option<string?> Text(string name, string description, string helpName = "text") => new(name) { Description = description, HelpName = helpName };

    /// <summary>A boolean switch.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>An integer option with a default and a range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, int max = int.MaxValue)
    {
        var o = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "n" };
        AddRange(o, min, max);
        return o;
    }

    /// <summary>An optional integer option (null when absent) with a range.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min, int max = int.MaxValue)
    {
        var o = new Option<int?>(name) { Description = description, HelpName = "n" };
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0 || !TryValue(r, out int? v) || v is null) return;
            if (v < min || v > max) r.AddError(RangeMessage(name, min, max, v.Value.ToString(CultureInfo.InvariantCulture)));
        });
        return o;
    }

    /// <summary>A floating-point option with a default that must be finite and &gt; <paramref name="exclusiveMin"/>.</summary>
    public static Option<double> Positive(string name, string description, double defaultValue, double exclusiveMin = 0) =>
        Bounded(name, description, defaultValue, exclusiveMin, inclusive: false);

    /// <summary>A floating-point option with a default that must be finite and ≥ 0.</summary>
    public static Option<double> NonNegative(string name, string description, double defaultValue) =>
        Bounded(name, description, defaultValue, 0, inclusive: true);

    private static Option<double> Bounded(string name, string description, double defaultValue, double min, bool inclusive)
    {
        var o = new Option<double>(name)
        {
            Description = description, HelpName = "x",
            CustomParser = r => ParseDouble(r),
            DefaultValueFactory = _ => defaultValue,
        };
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0 || !TryValue(r, out double v)) return;
            if (!double.IsFinite(v) || !(inclusive ? v >= min : v > min))
                r.AddError($"{name} must be a finite number {(inclusive ? "≥" : ">")} {min.ToString(CultureInfo.InvariantCulture)}, got '{r.Tokens[0].Value}'");
        });
        return o;
    }

    /// <summary>A string option restricted to <paramref name="values"/>.</summary>
    public static Option<string> OneOf(string name, string description, string defaultValue, params string[] values)
    {
        var o = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = string.Join('|', values) };
        o.AcceptOnlyFromAmong(values);
        return o;
    }

    /// <summary>The common <c>--seed</c> option.</summary>
    public static Option<int> Seed() => Int("--seed", "seed of everything random", DefaultSeed, int.MinValue);

    private static double ParseDouble(ArgumentResult r)
    {
        string s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        r.AddError($"{((OptionResult)r.Parent!).Option.Name} expects a number, got '{s}'");
        return 0;
    }

    private static void AddRange(Option<int> o, int min, int max) => o.Validators.Add(r =>
    {
        if (r.Tokens.Count == 0 || !TryValue(r, out int v)) return;
        if (v < min || v > max) r.AddError(RangeMessage(o.Name, min, max, v.ToString(CultureInfo.InvariantCulture)));
    });

    private static string RangeMessage(string name, int min, int max, string got) =>
        max == int.MaxValue ? $"{name} must be ≥ {min}, got {got}" : $"{name} must be in {min}..{max}, got {got}";

    private static bool TryValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
