using System.Globalization;

namespace Dptr.Cli.Commands;

/// <summary>Bad command-line usage; printed as one line plus the synopsis, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// Minimal GNU-style argument parser: <c>--name value</c>, <c>--name=value</c>, boolean <c>--flag</c>,
/// and positionals. Every option a command reads is marked used; unknown options are an error.
/// </summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = [];

    public CliArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                _positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (a.StartsWith("--", StringComparison.Ordinal) || (a.Length == 2 && a[0] == '-' && char.IsLetter(a[1])))
            {
                string name = a.TrimStart('-');
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    // Value-taking is decided lazily: remember the candidate; Flag() gives it back to positionals.
                    value = args[i + 1];
                    i++;
                    _pendingValue[name] = true;
                }
                if (value is null) _flags.Add(name);
                else
                {
                    if (!_options.TryGetValue(name, out var list)) _options[name] = list = [];
                    list.Add(value);
                }
            }
            else _positionals.Add(a);
        }
    }

    private readonly Dictionary<string, bool> _pendingValue = new(StringComparer.Ordinal);

    /// <summary>Positional arguments (those not consumed as option values).</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>A boolean switch such as <c>--quick</c>.</summary>
    public bool Flag(string name)
    {
        _used.Add(name);
        if (_flags.Contains(name)) return true;
        // "--quick foo" was parsed as an option with value "foo": it is a flag followed by a positional.
        if (_pendingValue.ContainsKey(name) && _options.Remove(name, out var values))
        {
            _positionals.InsertRange(0, values);
            _pendingValue.Remove(name);
            return true;
        }
        if (_options.TryGetValue(name, out var v) && v.Count == 1 && bool.TryParse(v[0], out bool b)) return b;
        return false;
    }

    /// <summary>A string option, or <paramref name="fallback"/> when absent.</summary>
    public string? Get(string name, string? fallback = null)
    {
        _used.Add(name);
        if (_flags.Contains(name)) throw new CliUsageException($"--{name} needs a value");
        return _options.TryGetValue(name, out var v) ? v[^1] : fallback;
    }

    /// <summary>A required string option.</summary>
    public string Require(string name) => Get(name) ?? throw new CliUsageException($"--{name} is required");

    /// <summary>All values of a repeatable option.</summary>
    public IReadOnlyList<string> GetAll(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : [];
    }

    /// <summary>An integer option.</summary>
    public int GetInt(string name, int fallback)
    {
        string? s = Get(name);
        if (s is null) return fallback;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new CliUsageException($"--{name} expects an integer, got '{s}'");
    }

    /// <summary>A floating-point option.</summary>
    public double GetDouble(string name, double fallback)
    {
        string? s = Get(name);
        if (s is null) return fallback;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new CliUsageException($"--{name} expects a number, got '{s}'");
    }

    /// <summary>Fails on options the command never asked for (typos).</summary>
    public void ThrowOnUnused()
    {
        var unknown = _options.Keys.Concat(_flags).Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new CliUsageException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}
