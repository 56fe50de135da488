using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Dptr.Cli.Commands;

/// <summary>
/// Progress display for long CLI work (training epochs, dataset conversion, evaluation).
/// </summary>
/// <remarks>
/// <para>Usage: <c>ConsoleProgress.Run("train", steps, report =&gt; { for (...) { ...; report(step + 1, $"loss {loss:F3} acc {acc:P1}"); } });</c>
/// The work calls <c>report(completed, status)</c> with the absolute number of completed units (0..total) and a short
/// free-text status (null keeps the previous one). Calls are cheap; call it every step.</para>
/// <para>On an interactive terminal it shows a Spectre.Console progress bar with columns: description (title, status
/// and rate), bar, percentage, remaining time. When output is redirected (CI logs, files, pipes) it writes plain lines
/// instead, at most one every <see cref="PlainInterval"/> plus one when each tenth of the work is crossed and one at
/// the end: <c>[title] 1200/5000 (24.0%) 35.2/s eta 00:01:48 | loss 1.230</c>.</para>
/// <para>Exceptions from the work propagate after the display is closed.</para>
/// </remarks>
internal static class ConsoleProgress
{
    /// <summary>Minimum time between two plain (non-interactive) progress lines.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="work"/> while showing its progress.</summary>
    /// <param name="title">What is running, e.g. <c>"pre-train"</c>.</param>
    /// <param name="total">Number of units of work (steps, images); 0 when unknown (indeterminate bar).</param>
    /// <param name="work">The work; it receives the report callback <c>(completed, status)</c>.</param>
    /// <param name="plainOutput">Where plain lines go; <see cref="Console.Out"/> when null. Passing a writer forces plain mode.</param>
    public static void Run(string title, int total, Action<Action<int, string?>> work, TextWriter? plainOutput = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        title ??= string.Empty;
        bool interactive = plainOutput is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (interactive)
        {
            RunInteractive(title, total, work);
        }
        else
        {
            RunPlain(title, total, work, plainOutput ?? Console.Out);
        }
    }

    private static void RunInteractive(string title, int total, Action<Action<int, string?>> work)
    {
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: Math.Max(total, 1));
                task.IsIndeterminate = total == 0;
                var clock = Stopwatch.StartNew();
                string status = string.Empty;
                try
                {
                    work((completed, text) =>
                    {
                        status = text ?? status;
                        task.Value = Math.Clamp(completed, 0, Math.Max(total, 1));
                        string rate = Rate(completed, clock.Elapsed);
                        task.Description = Markup.Escape(string.Join("  ", new[] { title, status, rate }.Where(s => s.Length > 0)));
                    });
                }
                finally
                {
                    task.StopTask();
                }
            });
    }

    private static void RunPlain(string title, int total, Action<Action<int, string?>> work, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan lastLine = -PlainInterval; // the first report always prints
        int lastTenth = -1;
        int latest = 0;
        bool pending = false; // the latest report has not been written yet
        string status = string.Empty;

        void Write(int completed)
        {
            var elapsed = clock.Elapsed;
            string count = total > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{completed}/{total} ({100.0 * completed / total:F1}%)")
                : completed.ToString(CultureInfo.InvariantCulture);
            string eta = total > 0 && completed > 0 && completed < total
                ? " eta " + TimeSpan.FromSeconds(elapsed.TotalSeconds / completed * (total - completed)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture)
                : string.Empty;
            string rate = Rate(completed, elapsed);
            output.WriteLine($"[{title}] {count}{(rate.Length > 0 ? " " + rate : string.Empty)}{eta}{(status.Length > 0 ? " | " + status : string.Empty)}");
            output.Flush();
            lastLine = elapsed;
        }

        work((completed, text) =>
        {
            status = text ?? status;
            latest = completed;
            pending = true;
            int tenth = total > 0 ? (int)(10L * completed / total) : -1;
            if (clock.Elapsed - lastLine >= PlainInterval || (total > 0 && tenth > lastTenth))
            {
                lastTenth = Math.Max(lastTenth, tenth);
                Write(completed);
                pending = false;
            }
        });

        // Final line unless the last report was just written.
        if (pending)
        {
            Write(latest);
        }
    }

    private static string Rate(int completed, TimeSpan elapsed) =>
        elapsed.TotalSeconds > 0.5 && completed > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{completed / elapsed.TotalSeconds:F1}/s")
            : string.Empty;
}
