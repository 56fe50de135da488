namespace Dptr.MLNet.Data;

/// <summary>
/// Counts of what a loader kept and dropped. Streaming loaders publish the counts of their most recent
/// complete pass over the data (a pass that stopped early publishes nothing), so reading the report after a
/// full pass (e.g. after training's first epoch, or after <c>Preview</c> of the whole set) gives exact numbers.
/// Thread-safe.
/// </summary>
public sealed class DataLoadReport
{
    private readonly object _gate = new();
    private readonly List<string> _badRowMessages = [];

    /// <summary>How many bad-row messages are kept (the counters count all of them).</summary>
    public const int MaxMessages = 100;

    /// <summary>Rows looked at in the last complete pass.</summary>
    public long RowsSeen { get; private set; }

    /// <summary>Rows handed to the consumer in the last complete pass.</summary>
    public long RowsKept { get; private set; }

    /// <summary>Labels dropped because they were empty after cleaning.</summary>
    public long DroppedEmpty { get; private set; }

    /// <summary>Labels dropped because they were longer than the maximum length.</summary>
    public long DroppedTooLong { get; private set; }

    /// <summary>Labels dropped because they held a character outside the allowed set.</summary>
    public long DroppedOutsideCharset { get; private set; }

    /// <summary>Labels dropped by a user predicate.</summary>
    public long DroppedByPredicate { get; private set; }

    /// <summary>Duplicate labels dropped (text corpora with deduplication on).</summary>
    public long DroppedDuplicates { get; private set; }

    /// <summary>Bad rows skipped because <see cref="BadRowAction.Skip"/> was chosen.</summary>
    public long BadRowsSkipped { get; private set; }

    /// <summary>The first <see cref="MaxMessages"/> bad-row messages (each names the key, row or file).</summary>
    public IReadOnlyList<string> BadRowMessages
    {
        get { lock (_gate) return _badRowMessages.ToArray(); }
    }

    /// <summary>A one-line summary.</summary>
    public override string ToString()
    {
        lock (_gate)
        {
            return $"seen {RowsSeen}, kept {RowsKept}, dropped: empty {DroppedEmpty}, too long {DroppedTooLong}, " +
                   $"outside charset {DroppedOutsideCharset}, predicate {DroppedByPredicate}, duplicates {DroppedDuplicates}, " +
                   $"bad rows skipped {BadRowsSkipped}";
        }
    }

    internal void AddSkippedLines(IReadOnlyList<string> messages)
    {
        lock (_gate)
        {
            BadRowsSkipped += messages.Count;
            RowsSeen += messages.Count;
            foreach (var m in messages)
                if (_badRowMessages.Count < MaxMessages) _badRowMessages.Add(m);
        }
    }

    internal void Publish(DataLoadCounts counts)
    {
        lock (_gate)
        {
            RowsSeen = counts.Seen;
            RowsKept = counts.Kept;
            DroppedEmpty = counts.Empty;
            DroppedTooLong = counts.TooLong;
            DroppedOutsideCharset = counts.OutsideCharset;
            DroppedByPredicate = counts.Predicate;
            DroppedDuplicates = counts.Duplicates;
            BadRowsSkipped = counts.BadRows;
            _badRowMessages.Clear();
            _badRowMessages.AddRange(counts.Messages);
        }
    }
}

/// <summary>Mutable per-pass counters, published into a <see cref="DataLoadReport"/> at the end of a pass.</summary>
internal sealed class DataLoadCounts
{
    public long Seen, Kept, Empty, TooLong, OutsideCharset, Predicate, Duplicates, BadRows;
    public readonly List<string> Messages = [];

    public void Count(LabelRejection rejection)
    {
        switch (rejection)
        {
            case LabelRejection.Empty: Empty++; break;
            case LabelRejection.TooLong: TooLong++; break;
            case LabelRejection.OutsideCharset: OutsideCharset++; break;
            case LabelRejection.Predicate: Predicate++; break;
        }
    }

    public void Bad(string message)
    {
        BadRows++;
        if (Messages.Count < DataLoadReport.MaxMessages) Messages.Add(message);
    }
}
