namespace Dptr.Cli.Commands;

/// <summary>One verb of the <c>dptr</c> tool. Implementations are discovered by reflection: add a file, get a verb.</summary>
internal interface ICliCommand
{
    /// <summary>The verb, e.g. <c>tokenize</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>dptr --help</c>.</summary>
    string Description { get; }

    /// <summary>Usage text: first line is the synopsis, then one line per option with its default.</summary>
    string Usage { get; }

    /// <summary>Sort key in the help listing (pipeline order).</summary>
    int Order => 100;

    /// <summary>Runs the verb; returns the process exit code. Throw <see cref="CliUsageException"/> for bad arguments.</summary>
    int Run(CliArgs args);
}
