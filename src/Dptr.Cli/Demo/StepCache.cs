namespace Dptr.Cli.Demo;

/// <summary>
/// Per-step "done" markers of a resumable workflow: each holds the signature (options, inputs) the step ran with, so a
/// re-run with the same signature skips the step and a changed one redoes it.
/// </summary>
internal sealed class StepCache(string folder)
{
    public bool IsDone(string step, string signature) => Signature(step) == signature;

    public string Signature(string step)
    {
        string path = Path.Combine(folder, step + ".done");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    public void MarkDone(string step, string signature)
    {
        Directory.CreateDirectory(folder);
        AtomicText.WriteAllText(Path.Combine(folder, step + ".done"), signature);
    }
}
