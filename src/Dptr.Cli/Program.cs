using System.Reflection;
using Dptr.Cli.Commands;

namespace Dptr.Cli;

/// <summary>The <c>dptr</c> command-line tool: one verb per <see cref="ICliCommand"/> in Commands/.</summary>
internal static class Program
{
    private static int Main(string[] args) => Run(args);

    /// <summary>Runs one command line; returns the exit code (tests call this in-process).</summary>
    internal static int Run(string[] args)
    {
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(ICliCommand).IsAssignableFrom(t))
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Order).ThenBy(c => c.Name)
            .ToList();

        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage(commands);
            return args.Length == 0 ? 1 : 0;
        }
        if (args[0] is "--version")
        {
            Console.WriteLine(typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0");
            return 0;
        }

        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"dptr: unknown command '{args[0]}'. Run 'dptr --help' for the list.");
            return 2;
        }

        var cliArgs = new CliArgs(args.Skip(1).ToArray());
        if (cliArgs.Flag("help") || cliArgs.Flag("h"))
        {
            Console.WriteLine($"dptr {command.Name}: {command.Description}\n\n{command.Usage}");
            return 0;
        }
        try
        {
            int rc = command.Run(cliArgs);
            cliArgs.ThrowOnUnused();
            return rc;
        }
        catch (CliUsageException ex)
        {
            Console.Error.WriteLine($"dptr {command.Name}: {ex.Message}");
            Console.Error.WriteLine($"usage: {command.Usage.Split('\n')[0]}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"dptr {command.Name}: cancelled.");
            return 130;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException or InvalidOperationException
                                       or FormatException or UnauthorizedAccessException or NotSupportedException)
        {
            Console.Error.WriteLine($"dptr {command.Name}: {ex.Message}");
            if (Environment.GetEnvironmentVariable("DPTR_DEBUG") == "1") Console.Error.WriteLine(ex);
            return 1;
        }
    }

    private static void PrintUsage(IReadOnlyList<ICliCommand> commands)
    {
        Console.WriteLine("dptr: train and run DPTR scene-text recognizers (Dptr.MLNet).\n");
        Console.WriteLine("usage: dptr <command> [options]   (dptr <command> --help for details)\n");
        foreach (var c in commands) Console.WriteLine($"  {c.Name,-12} {c.Description}");
    }
}
