using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Dptr.Cli.Commands;
using Dptr.Cli.Demo;

namespace Dptr.Cli;

/// <summary>
/// The <c>dptr</c> command-line tool, on System.CommandLine: one verb per file in Commands/ (and Demo/), each a thin
/// client of the public Dptr.MLNet API. Exit codes: 0 success, 1 bad input or a failed run, 2 usage, 130 cancelled;
/// every failure is one stderr line <c>dptr &lt;verb&gt;: &lt;message&gt;</c> (<c>--verbose</c> adds the exception).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        // First Ctrl+C asks the run to stop at the next step (training checks the token); a second one kills the process.
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        return Run(args, null, null, cancel.Token);
    }

    /// <summary>Runs one command line in-process; returns the exit code (tests call this).</summary>
    internal static int Run(string[] args, TextWriter? output = null, TextWriter? error = null) => Run(args, output, error, CancellationToken.None);

    /// <summary>Runs one command line with a cancellation token.</summary>
    internal static int Run(string[] args, TextWriter? output, TextWriter? error, CancellationToken cancellationToken)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var cli = new CliContext(output, error, cancellationToken);
        var verbose = new Option<bool>("--verbose") { Description = "on failure, also print the full exception", Recursive = true, Arity = ArgumentArity.Zero };
        var root = BuildRoot(cli, verbose);
        var parse = root.Parse(args);
        var command = parse.CommandResult.Command;
        string prefix = command is RootCommand ? "dptr" : $"dptr {command.Name}";
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };

        if (parse.Action is HelpAction || (command is RootCommand && parse.Errors.Count == 0 && args.Contains("--version")))
            return parse.Invoke(config);
        if (command is RootCommand && args.Length == 0)
        {
            error.WriteLine("dptr: give a command; 'dptr --help' lists them");
            return CliErrors.Usage;
        }
        string? usage = parse.Errors.Count > 0 ? ParseError(parse) : UnknownOptionInArguments(parse, command, args);
        if (usage is not null)
        {
            error.WriteLine($"{prefix}: {usage} (see '{prefix} --help')");
            return CliErrors.Usage;
        }
        try
        {
            return parse.Invoke(config);
        }
        catch (Exception ex)
        {
            return CliErrors.Report(command.Name, ex, error, parse.GetValue(verbose));
        }
    }

    /// <summary>The most telling parse error (an unrecognized token before "command not provided"), on one line.</summary>
    private static string ParseError(ParseResult parse)
    {
        var error = parse.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
        return string.Join(' ', error.Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');
    }

    /// <summary>The root command with every verb, in pipeline order.</summary>
    internal static RootCommand BuildRoot(CliContext cli, Option<bool> verbose)
    {
        var root = new RootCommand("dptr: train and run DPTR scene-text recognizers (Dptr.MLNet).") { verbose };
        foreach (var verb in new[]
                 {
                     DemoCommand.Create(cli), SynthCommand.Create(cli), TokenizeCommand.Create(cli), ClipTrainCommand.Create(cli),
                     BankCommand.Create(cli), PretrainCommand.Create(cli), FinetuneCommand.Create(cli), EvalCommand.Create(cli),
                     RecognizeCommand.Create(cli), BenchCommand.Create(cli), StudyCommand.Create(cli),
                 })
            root.Add(verb);
        return root;
    }

    /// <summary>
    /// A positional value that looks like an option (<c>--foo</c>) is an unknown option, not a file or text: it is
    /// refused instead of being read as an image or swallowing the next argument. Values after <c>--</c> are exempt.
    /// </summary>
    private static string? UnknownOptionInArguments(ParseResult parse, Command command, string[] args)
    {
        int dashDash = Array.IndexOf(args, "--");
        var literal = dashDash < 0 ? new HashSet<string>() : args.Skip(dashDash + 1).ToHashSet(StringComparer.Ordinal);
        foreach (var argument in command.Arguments)
        {
            var tokens = parse.GetResult(argument)?.Tokens;
            if (tokens is null) continue;
            foreach (var token in tokens)
            {
                string v = token.Value;
                if (v.Length > 1 && v[0] == '-' && !literal.Contains(v) && !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    return $"unknown option '{v}' (a value starting with '-' goes after '--')";
            }
        }
        return null;
    }
}
