using System.CommandLine;
using Dptr.Cli.Workflows;
using Microsoft.ML;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr eval</c>: word accuracy, 1−NED and the rest of the text-recognition metrics on labelled data.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext cli)
    {
        var model = CliOptions.RequiredPath("--model", "recognizer zip from dptr finetune (or dptr demo)");
        var data = CliOptions.RequiredPath("--data", "a folder with labels.tsv, or an LMDB dataset root");
        var json = CliOptions.Flag("--json", "print one JSON object (count, wordAccuracy, wordAccuracyIgnoreCase, wordAccuracyAlnum36, oneMinusNed, ...)");
        var command = new Command("eval", "Evaluate a recognizer zip on labelled images (table, or one JSON object with --json).") { model, data, json };
        command.SetAction(p =>
        {
            var metrics = Recognition.Evaluate(new MLContext(CliOptions.DefaultSeed), p.GetValue(model)!, p.GetValue(data)!);
            cli.Say(p.GetValue(json) ? metrics.ToJson() : metrics.ToString());
        });
        return command;
    }
}
