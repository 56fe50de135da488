namespace Dptr.Cli.Commands;

/// <summary>What every verb of one <c>dptr</c> run shares: where output and errors go, verbosity, cancellation.</summary>
internal sealed class CliContext(TextWriter output, TextWriter error, CancellationToken cancellationToken)
{
    /// <summary>Results and the story of a run (stdout).</summary>
    public TextWriter Output { get; } = output;

    /// <summary>Errors and warnings (stderr).</summary>
    public TextWriter Error { get; } = error;

    /// <summary>Cancelled by Ctrl+C.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Where progress lines go when output is not the console (tests, pipes): null draws bars on the console.</summary>
    public TextWriter? PlainProgress => ReferenceEquals(Output, Console.Out) ? null : Output;

    /// <summary>Writes one line of output.</summary>
    public void Say(string line) => Output.WriteLine(line);

    /// <summary>Writes one <c>warning:</c> line to stderr.</summary>
    public void Warn(string message) => Error.WriteLine($"warning: {message}");
}
