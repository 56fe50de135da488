using System.CommandLine;
using System.Globalization;
using Dptr.Cli.Workflows;
using Microsoft.ML;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr recognize</c>: prints <c>path&lt;TAB&gt;text&lt;TAB&gt;confidence</c> (4 decimals) for each image, in order.</summary>
internal static class RecognizeCommand
{
    public static Command Create(CliContext cli)
    {
        var model = CliOptions.RequiredPath("--model", "recognizer zip from dptr finetune (or dptr demo)");
        var images = new Argument<string[]>("image") { Description = "image files (PNG, JPEG, BMP, GIF, WebP)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("recognize", "Read the text in images with a recognizer zip (path<TAB>text<TAB>confidence per line).") { model, images };
        command.SetAction(p =>
        {
            var files = p.GetValue(images) ?? [];
            if (files.Length == 0) throw new CliUsageException("give at least one image file");
            var results = Recognition.Recognize(new MLContext(CliOptions.DefaultSeed), p.GetValue(model)!, files, cli.Warn);
            foreach (var r in results)
                cli.Say(string.Create(CultureInfo.InvariantCulture, $"{r.Path}\t{r.Text}\t{r.Confidence:F4}"));
        });
        return command;
    }
}
