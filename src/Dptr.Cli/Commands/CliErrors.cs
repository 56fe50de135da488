using System.Reflection;
using System.Text.Json;

namespace Dptr.Cli.Commands;

/// <summary>
/// Turns whatever a verb threw into an exit code and one stderr line <c>dptr &lt;verb&gt;: &lt;message&gt;</c>: 2 for
/// usage, 130 for cancellation, 1 for bad input (and anything else). ML.NET wraps the real cause of a failed cursor in
/// its own messages ("Splitter/consolidator worker encountered exception…"); those wrappers are peeled off so the line
/// names the file or row. <c>--verbose</c> adds the full exception.
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code of a usage error.</summary>
    public const int Usage = 2;

    /// <summary>Exit code of bad input or a failed run.</summary>
    public const int BadInput = 1;

    /// <summary>Exit code after Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>Reports <paramref name="exception"/> for <paramref name="verb"/>; returns the exit code.</summary>
    public static int Report(string verb, Exception exception, TextWriter error, bool verbose)
    {
        var cause = Unwrap(exception);
        int code = cause switch
        {
            CliUsageException => Usage,
            OperationCanceledException => Cancelled,
            _ => BadInput,
        };
        string message = cause switch
        {
            OperationCanceledException => "cancelled",
            _ when IsExpected(cause) => OneLine(cause),
            _ => $"unexpected {cause.GetType().Name}: {OneLine(cause)}{(verbose ? "" : " (run with --verbose for details)")}",
        };
        error.WriteLine($"dptr {verb}: {message}");
        if (verbose) error.WriteLine(exception.ToString());
        return code;
    }

    /// <summary>The exception that says what was wrong, under ML.NET's and the runtime's wrappers.</summary>
    public static Exception Unwrap(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null && IsWrapper(e)) e = e.InnerException;
        if (e is AggregateException { InnerExceptions.Count: > 0 } agg) return Unwrap(agg.InnerExceptions[0]);
        return e;
    }

    private static bool IsWrapper(Exception e) =>
        e is AggregateException or TargetInvocationException or TypeInitializationException
        || e.Message.Contains("worker encountered exception", StringComparison.Ordinal)
        || e.Message.StartsWith("Error during class instantiation", StringComparison.Ordinal)
        || e.Message.StartsWith("Failed to open a zip archive", StringComparison.Ordinal)
        || e.Message.StartsWith("Could not load legacy format model", StringComparison.Ordinal)
        || (e.GetType().Namespace?.StartsWith("Microsoft.ML", StringComparison.Ordinal) == true);

    private static bool IsExpected(Exception e) =>
        e is CliUsageException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
            or FormatException or NotSupportedException or InvalidOperationException or JsonException or OperationCanceledException
            or Dptr.MLNet.Training.TrainingDivergedException;

    /// <summary>The message on one line, without .NET's "(Parameter 'x')" and "Actual value was" tails.</summary>
    public static string OneLine(Exception e)
    {
        string m = e.Message;
        if (e is ArgumentException a && a.ParamName is not null)
        {
            int p = m.IndexOf(" (Parameter '", StringComparison.Ordinal);
            if (p > 0) m = m[..p];
        }
        var lines = m.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (e is ArgumentOutOfRangeException) lines = lines.Where(l => !l.StartsWith("Actual value was", StringComparison.Ordinal)).ToArray();
        return string.Join(" ", lines).TrimEnd('.');
    }
}
