namespace Dptr.Cli.Commands;

/// <summary>Bad command-line usage (a missing or contradictory option): one line on stderr, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
