using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>
/// Executes every code cell of the notebooks in <c>notebooks/</c> with the .NET Interactive C# kernel, in order, with
/// the notebook folder as the working directory (so their <c>#r "../src/Dptr.Cli/bin/Release/net10.0/..."</c> lines
/// resolve as in Jupyter/VS Code); any cell error fails the test. 02 builds a tiny model that 01 then loads.
/// </summary>
[TestClass]
public sealed class NotebookTests
{
    private static string? FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static async Task<List<string>> RunNotebookAsync(string path)
    {
        string cliDll = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "../src/Dptr.Cli/bin/Release/net10.0/Dptr.MLNet.dll"));
        if (!File.Exists(cliDll)) Assert.Inconclusive($"The notebooks reference the Release build of the CLI ('{cliDll}'); build it with 'dotnet build -c Release'.");
        var document = Notebook.Parse(await File.ReadAllTextAsync(path));
        using var kernel = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        var outputs = new List<string>();
        string oldDirectory = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.GetDirectoryName(path)!;
        try
        {
            int index = 0;
            foreach (var cell in document.Elements)
            {
                index++;
                if (cell.KernelName is not (null or "csharp")) continue;
                var result = await kernel.SendAsync(new SubmitCode(cell.Contents));
                foreach (var e in result.Events)
                {
                    switch (e)
                    {
                        case CommandFailed failed:
                            Assert.Fail($"{Path.GetFileName(path)} cell {index} failed: {failed.Message}\n{failed.Exception}\n--- cell ---\n{cell.Contents}");
                            break;
                        case DisplayEvent d:
                            outputs.Add(string.Join(" | ", d.FormattedValues.Select(v => v.Value.Length > 200 ? v.Value[..200] : v.Value)));
                            break;
                    }
                }
            }
        }
        finally
        {
            Environment.CurrentDirectory = oldDirectory;
        }
        return outputs;
    }

    [TestMethod]
    public async Task EveryCellOfBothNotebooksRuns()
    {
        string? pipeline = FindRepoFile("notebooks/02-dptr-pipeline.ipynb");
        string? quickstart = FindRepoFile("notebooks/01-quickstart.ipynb");
        Assert.IsNotNull(pipeline, "notebooks/02-dptr-pipeline.ipynb not found above the test folder");
        Assert.IsNotNull(quickstart, "notebooks/01-quickstart.ipynb not found above the test folder");
        string outDir = TestData.NewTempDir();
        Environment.SetEnvironmentVariable("DPTR_NOTEBOOK_OUT", outDir);
        try
        {
            var outputs = await RunNotebookAsync(pipeline!);
            Console.WriteLine(string.Join("\n", outputs));
            Assert.IsTrue(File.Exists(Path.Combine(outDir, "dptr-notebook.zip")), "02 saves its model");
            Assert.IsTrue(outputs.Any(o => o.Contains("data:image/png;base64", StringComparison.Ordinal)), "02 shows images inline");

            // 01 on the model 02 just made (instead of the demo's).
            Environment.SetEnvironmentVariable("DPTR_MODEL", Path.Combine(outDir, "dptr-notebook.zip"));
            Environment.SetEnvironmentVariable("DPTR_DATA", Path.Combine(outDir, "test"));
            outputs = await RunNotebookAsync(quickstart!);
            Console.WriteLine(string.Join("\n", outputs));
            Assert.IsTrue(outputs.Any(o => o.Contains("Word accuracy (exact)", StringComparison.Ordinal)), "01 prints the metrics");
            Assert.IsTrue(outputs.Count(o => o.Contains("confidence", StringComparison.Ordinal)) >= 6, "01 recognizes six images");
        }
        finally
        {
            Environment.SetEnvironmentVariable("DPTR_NOTEBOOK_OUT", null);
            Environment.SetEnvironmentVariable("DPTR_MODEL", null);
            Environment.SetEnvironmentVariable("DPTR_DATA", null);
            Directory.Delete(outDir, recursive: true);
        }
    }
}
