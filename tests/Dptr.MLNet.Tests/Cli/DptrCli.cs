using Dptr.Cli;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>Runs <c>dptr</c> command lines in-process, capturing stdout and stderr.</summary>
internal static class DptrCli
{
    public sealed record Outcome(int Code, string Output, string Error)
    {
        public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

        public override string ToString() => $"exit {Code}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    public static Outcome Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return new Outcome(code, output.ToString(), error.ToString());
    }
}
