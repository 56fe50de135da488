namespace Dptr.MLNet.Data;

/// <summary>Options of <c>LoadTextCorpus</c>: a UTF-8 file with one label per line.</summary>
public sealed class TextCorpusOptions
{
    /// <summary>Label cleaning and filtering (default <see cref="LabelFilter.Default"/>, spec §5.2).</summary>
    public LabelFilter Filter { get; set; } = LabelFilter.Default;

    /// <summary>Drop repeated labels (after cleaning), keeping the first (default true).</summary>
    public bool Deduplicate { get; set; } = true;

    /// <summary>Shuffle the labels (default true), with <see cref="Seed"/>.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Seed of the shuffle (default 0).</summary>
    public int Seed { get; set; }

    /// <summary>What to do with a line that is not valid UTF-8 (default <see cref="BadRowAction.Throw"/>). Empty lines are
    /// simply dropped and counted as empty labels.</summary>
    public BadRowAction OnBadRow { get; set; } = BadRowAction.Throw;

    /// <summary>Counts of kept and dropped lines.</summary>
    public DataLoadReport Report { get; set; } = new();
}
