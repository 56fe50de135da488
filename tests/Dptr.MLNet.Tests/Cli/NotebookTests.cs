using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;
using Dptr.MLNet.Tests.Packaging;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>
/// Executes every code cell of the notebooks in <c>notebooks/</c> with the .NET Interactive C# kernel (with its
/// <c>#r "nuget:"</c> / <c>#i</c> support, as in Jupyter/VS Code), in order, with the notebook folder as the working
/// directory; any cell error fails the test. The notebooks load Dptr.MLNet as a package: the test packs it first
/// (<see cref="LocalPackageFeed"/>) and points their <c>#i "nuget: ../artifacts/packages"</c> line at that fresh
/// package folder, restoring into an isolated packages folder. 02 builds a tiny model that 01 then loads.
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

    private const string LocalSourceLine = "#i \"nuget: ../artifacts/packages\"";

    private static async Task<List<string>> RunNotebookAsync(string path, LocalPackageFeed.Feed feed)
    {
        var document = Notebook.Parse(await File.ReadAllTextAsync(path));
        var referenceCell = document.Elements.FirstOrDefault(c => c.Contents.Contains("#r \"nuget: Dptr.MLNet", StringComparison.Ordinal));
        Assert.IsNotNull(referenceCell, $"{Path.GetFileName(path)} has no #r \"nuget: Dptr.MLNet, <version>\" cell");
        StringAssert.Contains(referenceCell.Contents, LocalSourceLine, $"{Path.GetFileName(path)}: the local package source line");
        StringAssert.Contains(referenceCell.Contents, $"#r \"nuget: Dptr.MLNet, {feed.Version}\"",
            $"{Path.GetFileName(path)} must load the version the repository packs ({feed.Version})");
        referenceCell.Contents = referenceCell.Contents.Replace(LocalSourceLine, $"#i \"nuget: {feed.Source}\"", StringComparison.Ordinal);
        // #r "nuget:" as the dotnet-interactive tool wires it: resolved packages become the kernel's assembly references.
        using var kernel = new CSharpKernel()
            .UseNugetDirective((k, resolved) =>
            {
                k.AddAssemblyReferences(resolved.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseValueSharing();
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
        var feed = LocalPackageFeed.Get();
        // A notebook's #r "nuget:" restores packages without building a project, so the package's GLIBCXX step cannot run
        // for it (README, Dependencies): TorchSharp's native library comes from this test's build output, loaded here.
        using (var probe = TorchSharp.torch.zeros(1)) Assert.AreEqual(1, probe.numel());
        string outDir = TestData.NewTempDir();
        Environment.SetEnvironmentVariable("DPTR_NOTEBOOK_OUT", outDir);
        // The kernel restores #r "nuget:" through MSBuild, which reads these environment variables as properties: a
        // fresh packages folder (never a stale Dptr.MLNet of the same version), the machine's as a read-only fallback.
        Environment.SetEnvironmentVariable("RestorePackagesPath", feed.PackagesFolder);
        Environment.SetEnvironmentVariable("RestoreFallbackFolders", feed.MachinePackagesFolder);
        try
        {
            var outputs = await RunNotebookAsync(pipeline!, feed);
            Console.WriteLine(string.Join("\n", outputs));
            Assert.IsTrue(File.Exists(Path.Combine(outDir, "dptr-notebook.zip")), "02 saves its model");
            Assert.IsTrue(outputs.Any(o => o.Contains("data:image/png;base64", StringComparison.Ordinal)), "02 shows images inline");

            // 01 on the model 02 just made (instead of the demo's).
            Environment.SetEnvironmentVariable("DPTR_MODEL", Path.Combine(outDir, "dptr-notebook.zip"));
            Environment.SetEnvironmentVariable("DPTR_DATA", Path.Combine(outDir, "test"));
            outputs = await RunNotebookAsync(quickstart!, feed);
            Console.WriteLine(string.Join("\n", outputs));
            Assert.IsTrue(outputs.Any(o => o.Contains("Word accuracy (exact)", StringComparison.Ordinal)), "01 prints the metrics");
            Assert.IsTrue(outputs.Count(o => o.Contains("confidence", StringComparison.Ordinal)) >= 6, "01 recognizes six images");
        }
        finally
        {
            Environment.SetEnvironmentVariable("DPTR_NOTEBOOK_OUT", null);
            Environment.SetEnvironmentVariable("DPTR_MODEL", null);
            Environment.SetEnvironmentVariable("DPTR_DATA", null);
            Environment.SetEnvironmentVariable("RestorePackagesPath", null);
            Environment.SetEnvironmentVariable("RestoreFallbackFolders", null);
            Directory.Delete(outDir, recursive: true);
        }
    }
}
